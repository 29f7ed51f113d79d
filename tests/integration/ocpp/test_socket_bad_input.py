"""Bad input over a live socket: the 1.6 CALLERROR (or close) for each fault, nothing
half-written, and the socket, the live_server and other chargers carry on."""

import pytest
import websockets
from sqlalchemy import func, select, text

from domain.models import Charger, Connector, OcppMessage, TaskOutbox, Transaction
from tests.ocpp_client import eventually, exchange, raw_socket, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

START = '{"connectorId":1,"idTag":"TAG1","meterStart":10,"timestamp":"2025-01-01T10:00:00Z"}'


BAD_FRAMES = [
    ("not json at all", "-1", "FormationViolation"),
    ('[2,"half-1","Heartbeat",{', "half-1", "FormationViolation"),
    ('{"action":"Heartbeat"}', "-1", "FormationViolation"),
    ('[9,"type-1","Heartbeat",{}]', "type-1", "FormationViolation"),
    ('["2","type-2","Heartbeat",{}]', "type-2", "FormationViolation"),
    ('[2,"short-1","Heartbeat"]', "short-1", "ProtocolError"),
    ('[2,"obj-1","Heartbeat",[]]', "obj-1", "FormationViolation"),
    ('[2,"miss-1","BootNotification",{"chargePointVendor":"V"}]', "miss-1",
     "OccurenceConstraintViolation"),
    ('[2,"type-3","StartTransaction",{"connectorId":"1","idTag":"T","meterStart":1,'
     '"timestamp":"2025-01-01T10:00:00Z"}]', "type-3", "TypeConstraintViolation"),
    ('[2,"range-1","StartTransaction",{"connectorId":-3,"idTag":"T","meterStart":1,'
     '"timestamp":"2025-01-01T10:00:00Z"}]', "range-1", "PropertyConstraintViolation"),
    ('[2,"enum-1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Happy"}]',
     "enum-1", "PropertyConstraintViolation"),
    ('[2,"fmt-1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":1,'
     '"timestamp":"tuesday"}]', "fmt-1", "PropertyConstraintViolation"),
    ('[2,"len-1","Authorize",{"idTag":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}]', "len-1",
     "PropertyConstraintViolation"),
    ('[2,"extra-1","Heartbeat",{"cpuTemperature":80}]', "extra-1", "FormationViolation"),
    ('[2,"act-1","BrewCoffee",{}]', "act-1", "NotImplemented"),
    ('[2,"act-2","RemoteStopTransaction",{"transactionId":1}]', "act-2", "NotSupported"),
]  # fmt: skip


def test_each_bad_frame_gets_its_call_error_and_the_socket_carries_on(live_server, live_db):
    name = register_charger(live_db, "bad")

    async def send_all():
        async with raw_socket(live_server.ws_url(name)) as ws:
            replies = [await exchange(ws, frame) for frame, _, _ in BAD_FRAMES]
            await ws.send('[3,"nobody-asked",{"status":"Accepted"}]')
            await ws.send('[4,"nobody-asked-2","InternalError","oops",{}]')
            heartbeat = await exchange(ws, '[2,"hb-after","Heartbeat",{}]')
            return replies, heartbeat

    replies, heartbeat = run(send_all())
    assert [(reply[0], reply[1], reply[2]) for reply in replies] == [
        (4, unique_id, code) for _, unique_id, code in BAD_FRAMES
    ]
    assert all(isinstance(reply[3], str) and isinstance(reply[4], dict) for reply in replies)
    assert heartbeat[:2] == [3, "hb-after"] and "currentTime" in heartbeat[2]
    answered = [("in", "out") for _ in BAD_FRAMES]
    logged = eventually(lambda: _written_behind(live_db, name, 2 * len(answered) + 4))
    assert [row.direction for row in logged] == [d for pair in answered for d in pair] + [
        "in", "in", "in", "out"
    ]  # fmt: skip
    assert ("out", 4, "miss-1") in [tuple(row) for row in logged]


def _written_behind(database, name: str, count: int, unique_ids=None):
    """The charger's message-log rows once there are `count` of them (refusals are
    bookkeeping, written behind within a second)."""
    query = select(OcppMessage.direction, OcppMessage.message_type, OcppMessage.unique_id).where(
        OcppMessage.charger_name == name
    )
    if unique_ids is not None:
        query = query.where(OcppMessage.unique_id.in_(unique_ids))
    with database.unit_of_work() as session:
        rows = session.execute(query.order_by(OcppMessage.id)).all()
    return rows if len(rows) >= count else None


def test_a_refused_start_transaction_writes_nothing(live_server, live_db):
    name = register_charger(live_db, "nohalf")
    bad = '[2,"s1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":"ten",' \
          '"timestamp":"2025-01-01T10:00:00Z"}]'  # fmt: skip

    async def send():
        async with raw_socket(live_server.ws_url(name)) as ws:
            return await exchange(ws, bad)

    assert run(send())[2] == "TypeConstraintViolation"
    with live_db.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == name))
        assert (
            session.scalar(
                select(func.count())
                .select_from(Transaction)
                .where(Transaction.charger_id == charger.id)
            )
            == 0
        )
        statuses = session.scalars(
            select(Connector.status).where(Connector.charger_id == charger.id)
        ).all()
        assert statuses == ["AVAILABLE", "AVAILABLE"]


def test_an_oversized_frame_closes_with_1009_and_other_chargers_carry_on(live_server, live_db):
    big, bystander = register_charger(live_db, "big"), register_charger(live_db, "bystander")

    async def flood():
        async with raw_socket(live_server.ws_url(bystander)) as calm:
            async with raw_socket(live_server.ws_url(big)) as ws:
                payload = "x" * (1024 * 1024 + 1024)  # beyond the 1 MiB default
                await ws.send(f'[2,"huge","DataTransfer",{{"vendorId":"v","data":"{payload}"}}]')
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
            return closed.value.rcvd.code, await exchange(calm, '[2,"calm-1","Heartbeat",{}]')

    code, calm_reply = run(flood())
    assert code == 1009
    assert calm_reply[:2] == [3, "calm-1"]


@pytest.fixture
def failing_writes(live_server, live_db):
    """Make the database refuse writes to one charger's transactions, as a failing disk or
    a lost connection would; returns (charger name, switch to turn the failure off)."""
    name = register_charger(live_db, "dbfail")
    with live_db.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        session.execute(text(
            "CREATE OR REPLACE FUNCTION voltline_test_fail() RETURNS trigger AS $$ "
            f"BEGIN IF NEW.charger_id = {charger_id} THEN RAISE EXCEPTION 'write refused'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        ))  # fmt: skip

    def switch(on: bool):
        with live_db.unit_of_work() as session:
            session.execute(text("DROP TRIGGER IF EXISTS voltline_test_fail ON transactions"))
            if on:
                session.execute(text(
                    "CREATE TRIGGER voltline_test_fail BEFORE INSERT OR UPDATE ON transactions "
                    "FOR EACH ROW EXECUTE FUNCTION voltline_test_fail()"
                ))  # fmt: skip

    yield name, switch
    switch(False)


def test_a_database_error_answers_internal_error_never_a_conf(live_server, live_db, failing_writes):
    name, switch = failing_writes

    async def scenario():
        async with raw_socket(live_server.ws_url(name)) as ws:
            switch(True)
            refused_start = await exchange(ws, f'[2,"st-1","StartTransaction",{START}]')
            switch(False)
            started = await exchange(ws, f'[2,"st-2","StartTransaction",{START}]')
            tx_id = started[2]["transactionId"]
            stop = f'{{"transactionId":{tx_id},"meterStop":99,"timestamp":"2025-01-01T11:00:00Z"}}'
            switch(True)
            refused_stop = await exchange(ws, f'[2,"sp-1","StopTransaction",{stop}]')
            switch(False)
            stopped = await exchange(ws, f'[2,"sp-2","StopTransaction",{stop}]')
            return refused_start, started, refused_stop, stopped

    refused_start, started, refused_stop, stopped = run(scenario())
    assert refused_start[:3] == [4, "st-1", "InternalError"]
    assert refused_stop[:3] == [4, "sp-1", "InternalError"]
    assert started[:2] == [3, "st-2"] and stopped == [3, "sp-2", {}]
    with live_db.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == name))
        transactions = session.scalars(
            select(Transaction).where(Transaction.charger_id == charger.id)
        ).all()
        assert [(tx.id, tx.status, tx.meter_stop) for tx in transactions] == [
            (started[2]["transactionId"], "Completed", 99)
        ]
        outbox = session.scalars(
            select(TaskOutbox.dedupe_key).where(TaskOutbox.task_name == "finalize_session")
        ).all()
        assert outbox.count(str(started[2]["transactionId"])) == 1
    logged = eventually(lambda: _written_behind(live_db, name, 4, ["st-1", "sp-1"]))
    assert [(row.unique_id, row.direction, row.message_type) for row in logged] == [
        ("st-1", "in", 2), ("st-1", "out", 4), ("sp-1", "in", 2), ("sp-1", "out", 4)
    ]  # fmt: skip
