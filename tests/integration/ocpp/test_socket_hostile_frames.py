"""Hostile and unusual frames on a live socket: each gets the 1.6 answer (a CALLERROR or a
clean close), never an HTTP 500 written into the upgraded socket, and the socket carries on."""

import json

import pytest
import websockets
from sqlalchemy import select, text

from domain.models import Charger
from tests.ocpp_client import exchange, raw_socket, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MIB = 1024 * 1024


def test_ten_thousand_nested_arrays_get_formation_violation_and_the_socket_carries_on(
    live_server, live_db
):
    name = register_charger(live_db, "nested")

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            nested = await exchange(ws, "[" * 10_000 + "]" * 10_000)
            deep_call = await exchange(
                ws, '[2,"deep-1","DataTransfer",{"vendorId":"v","data":' + "[" * 500 + "]" * 500
                + "}]"
            )  # fmt: skip
            return nested, deep_call, await exchange(ws, '[2,"hb-1","Heartbeat",{}]')

    nested, deep_call, heartbeat = run(scenario())
    assert nested[:3] == [4, "-1", "FormationViolation"]
    assert deep_call[:3] == [4, "deep-1", "FormationViolation"]
    assert heartbeat[:2] == [3, "hb-1"]


def test_a_numeric_unique_id_is_echoed_as_the_number_sent(live_server, live_db):
    name = register_charger(live_db, "numid")

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            return await exchange(ws, '[2,12345,"Heartbeat",{}]')

    assert run(scenario())[:3] == [4, 12345, "FormationViolation"]


def stop_with_samples(transaction_id: int, minutes: int) -> str:
    """A StopTransaction carrying a signed-looking per-minute sample for `minutes` minutes."""
    samples = [
        {
            "timestamp": f"2025-01-01T{10 + minute // 60 % 10:02d}:{minute % 60:02d}:00Z",
            "sampledValue": [
                {"value": str(1000 + minute), "unit": "Wh", "context": "Sample.Clock"},
                {"value": "A" * 300, "format": "SignedData", "context": "Sample.Clock"},
            ],
        }
        for minute in range(minutes)
    ]
    payload = {
        "transactionId": transaction_id,
        "meterStop": 2000,
        "timestamp": "2025-01-01T20:00:00Z",
        "transactionData": samples,
    }
    return json.dumps([2, "big-stop", "StopTransaction", payload])


def test_a_stop_transaction_with_a_day_of_signed_samples_fits_the_default_frame_limit(
    live_server, live_db
):
    name = register_charger(live_db, "bigstop")
    frame = stop_with_samples(transaction_id=424242, minutes=24 * 60 // 2)
    assert 256 * 1024 < len(frame) < MIB

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            return await exchange(ws, frame)

    assert run(scenario()) == [3, "big-stop", {}]


def test_a_frame_beyond_one_mebibyte_closes_with_1009(live_server, live_db):
    name = register_charger(live_db, "huge")

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            data = "x" * (MIB + 1024)
            await ws.send(f'[2,"huge","DataTransfer",{{"vendorId":"v","data":"{data}"}}]')
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.rcvd.code

    assert run(scenario()) == 1009


def test_a_binary_frame_of_utf8_json_is_answered_like_text(live_server, live_db):
    name = register_charger(live_db, "binary")

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            return await exchange(ws, b'[2,"b1","Heartbeat",{}]')

    reply = run(scenario())
    assert reply[:2] == [3, "b1"] and "currentTime" in reply[2]


def test_a_binary_frame_that_is_not_utf8_closes_with_1007(live_server, live_db):
    name = register_charger(live_db, "notutf8")

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            await ws.send(b"\xff\xfe[2,")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.rcvd.code

    assert run(scenario()) == 1007


@pytest.fixture
def failing_socket_log(live_db):
    """A charger whose socket bookkeeping (its StatusLog rows) the database refuses."""
    name = register_charger(live_db, "openfail")
    with live_db.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        session.execute(text(
            "CREATE OR REPLACE FUNCTION voltline_test_refuse_log() RETURNS trigger AS $$ "
            f"BEGIN IF NEW.charger_id = {charger_id} THEN RAISE EXCEPTION 'log refused'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        ))  # fmt: skip
        session.execute(text(
            "CREATE TRIGGER voltline_test_refuse_log BEFORE INSERT ON status_logs "
            "FOR EACH ROW EXECUTE FUNCTION voltline_test_refuse_log()"
        ))  # fmt: skip
    yield name
    with live_db.unit_of_work() as session:
        session.execute(text("DROP TRIGGER IF EXISTS voltline_test_refuse_log ON status_logs"))


def test_a_failure_after_the_upgrade_closes_the_socket_cleanly_never_an_http_500(
    live_server, failing_socket_log
):
    async def scenario():
        async with raw_socket(live_server.ws_url(failing_socket_log)) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 1011
