"""Nothing is lost: retries are harmless, a reconnect replaces the old socket, and a
charger replaying its queue before it boots is heard."""

import asyncio

import pytest
import websockets
from ocpp.v16 import call
from sqlalchemy import func, select

from domain.models import (
    Charger,
    ChargerEvent,
    MeterValue,
    StatusLog,
    TaskOutbox,
    Transaction,
)
from tests.ocpp_client import (
    ask,
    charger,
    eventually,
    exchange,
    raw_socket,
    register_charger,
    run,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

START = '{"connectorId":1,"idTag":"TAG1","meterStart":10,"timestamp":"2025-01-01T10:00:00Z"}'


def charger_id(live_db, name):
    with live_db.unit_of_work() as session:
        return session.scalar(select(Charger.id).where(Charger.name == name))


def count(live_db, model, *where):
    with live_db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_retried_messages_store_nothing_twice(live_server, live_db):
    name = register_charger(live_db, "retry")
    samples = [{"value": "500"}, {"value": "16", "measurand": "Current.Import", "unit": "A",
                                  "phase": "L1"}]  # fmt: skip

    async def retry_everything():
        async with raw_socket(live_server.ws_url(name)) as ws:
            first = await exchange(ws, f'[2,"s-1","StartTransaction",{START}]')
            # The charger lost our answer and sends the same message again (same or new id).
            again = await exchange(ws, f'[2,"s-1","StartTransaction",{START}]')
            third = await exchange(ws, f'[2,"s-2","StartTransaction",{START}]')
            tx_id = first[2]["transactionId"]
            meter = {"connectorId": 1, "transactionId": tx_id, "meterValue": [
                {"timestamp": "2025-01-01T10:30:00Z", "sampledValue": samples}]}  # fmt: skip
            meters = [await ask(ws, unique_id, "MeterValues", meter) for unique_id in "mmn"]
            stop = {"transactionId": tx_id, "meterStop": 900, "timestamp": "2025-01-01T11:00:00Z",
                    "idTag": "TAG1", "reason": "Local"}  # fmt: skip
            stops = [await ask(ws, unique_id, "StopTransaction", stop) for unique_id in "pq"]
            assert [reply[2] for reply in meters] == [{}, {}, {}]
            return first, again, third, stops

    first, again, third, stops = run(retry_everything())
    tx_id = first[2]["transactionId"]
    assert again[2] == third[2] == first[2]
    assert stops[0][2] == stops[1][2] == {"idTagInfo": {"status": "Invalid"}}
    cid = charger_id(live_db, name)
    assert count(live_db, Transaction, Transaction.charger_id == cid) == 1
    assert count(live_db, MeterValue, MeterValue.charger_id == cid) == 2
    assert count(live_db, TaskOutbox, TaskOutbox.dedupe_key == str(tx_id)) == 1
    with live_db.unit_of_work() as session:
        tx = session.get(Transaction, tx_id)
        assert (tx.status, tx.meter_stop, tx.stop_reason) == ("Completed", 900, "Local")


def test_a_second_connection_replaces_the_first(live_server, live_db):
    name = register_charger(live_db, "reboot")

    async def reconnect():
        async with raw_socket(live_server.ws_url(name)) as old:
            assert (await exchange(old, '[2,"o1","Heartbeat",{}]'))[0] == 3
            async with raw_socket(live_server.ws_url(name)) as new:
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(old.recv(), 15)
                reply = await exchange(new, '[2,"n1","Heartbeat",{}]')
                connected_meanwhile = await asyncio.to_thread(status_of, live_db, name)
            return reply, connected_meanwhile

    reply, connected_meanwhile = run(reconnect())
    assert reply[:2] == [3, "n1"]
    assert connected_meanwhile == "Connected"
    eventually(lambda: status_of(live_db, name) == "Disconnected")
    with live_db.unit_of_work() as session:
        log = session.scalars(
            select(StatusLog.status)
            .where(StatusLog.charger_id == charger_id(live_db, name))
            .order_by(StatusLog.id)
        ).all()
    # The replaced socket's close does not mark the charger Disconnected.
    assert log == ["Connected", "Connected", "Disconnected"]


def status_of(live_db, name):
    with live_db.unit_of_work() as session:
        return session.scalar(select(Charger.status).where(Charger.name == name))


def test_a_stop_replayed_before_boot_after_a_power_loss_is_recorded(live_server, live_db):
    name = register_charger(live_db, "powerloss")

    async def before_power_loss():
        async with charger(live_server.ws_url(name)) as cp:
            await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            started = await cp.call(
                call.StartTransaction(connector_id=2, id_tag="TAG9", meter_start=0,
                                      timestamp="2025-02-01T08:00:00Z"),
                suppress=False,
            )  # fmt: skip
            return started.transaction_id

    async def after_power_loss(tx_id):
        async with charger(live_server.ws_url(name)) as cp:
            stopped = await cp.call(
                call.StopTransaction(meter_stop=4200, timestamp="2025-02-01T09:00:00Z",
                                     transaction_id=tx_id, reason="PowerLoss"),
                suppress=False,
            )  # fmt: skip
            booted = await cp.call(
                call.BootNotification(charge_point_model="M", charge_point_vendor="V"),
                suppress=False,
            )
            return stopped, booted

    tx_id = run(before_power_loss())
    stopped, booted = run(after_power_loss(tx_id))
    assert stopped.id_tag_info is None and booted.status == "Accepted"
    with live_db.unit_of_work() as session:
        tx = session.get(Transaction, tx_id)
        assert (tx.status, tx.meter_stop, tx.stop_reason) == ("Completed", 4200, "PowerLoss")


def test_a_stop_for_an_unknown_transaction_is_accepted_and_kept(live_server, live_db):
    name = register_charger(live_db, "amnesia")

    async def stop_unknown():
        async with charger(live_server.ws_url(name)) as cp:
            return await cp.call(
                call.StopTransaction(meter_stop=10, timestamp="2025-03-01T09:00:00Z",
                                     transaction_id=123_456_789, id_tag="TAG1"),
                suppress=False,
            )  # fmt: skip

    assert run(stop_unknown()).id_tag_info == {"status": "Invalid"}
    with live_db.unit_of_work() as session:
        event = session.scalar(
            select(ChargerEvent).where(ChargerEvent.charger_id == charger_id(live_db, name))
        )
        assert (event.action, event.status) == ("StopTransaction", "UnknownTransaction")
        assert event.payload["transactionId"] == 123_456_789


def test_many_chargers_charge_at_once_without_mixing_up_sessions(live_server, live_db):
    names = [register_charger(live_db, "fleet") for _ in range(8)]

    async def one_session(index, name):
        async with charger(live_server.ws_url(name)) as cp:
            started = await cp.call(
                call.StartTransaction(connector_id=1, id_tag=f"FLEET{index}", meter_start=index,
                                      timestamp="2025-04-01T08:00:00Z"),
                suppress=False,
            )  # fmt: skip
            await cp.call(
                call.StopTransaction(meter_stop=1000 + index, timestamp="2025-04-01T09:00:00Z",
                                     transaction_id=started.transaction_id),
                suppress=False,
            )  # fmt: skip
            return started.transaction_id

    async def all_sessions():
        return await asyncio.gather(*(one_session(i, n) for i, n in enumerate(names)))

    tx_ids = run(all_sessions())
    assert len(set(tx_ids)) == len(names)
    with live_db.unit_of_work() as session:
        for index, (name, tx_id) in enumerate(zip(names, tx_ids, strict=True)):
            tx = session.get(Transaction, tx_id)
            assert tx.charger_id == charger_id(live_db, name)
            assert (tx.id_tag, tx.meter_start, tx.meter_stop) == (
                f"FLEET{index}",
                index,
                1000 + index,
            )
