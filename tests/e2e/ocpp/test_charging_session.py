"""A whole charging session over a real socket, checked row by row in PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call, call_result
from sqlalchemy import select

from domain.clock import parse_timestamp, to_wire
from domain.models import (
    Charger,
    ChargerStatus,
    Connector,
    IdTag,
    MeterValue,
    OcppMessage,
    StatusLog,
    TaskOutbox,
    Transaction,
)
from tests.ocpp_client import charger, eventually, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

T0 = datetime(2025, 3, 22, 12, 0, tzinfo=UTC)


def test_boot_status_authorize_start_meter_values_stop_are_stored_exactly(live_server, live_db):
    name = register_charger(live_db, "e2e")
    with live_db.unit_of_work() as session:
        session.add(
            IdTag(
                id_tag="RFID-E2E",
                parent_id_tag="FLEET-1",
                expiry_date=T0 + timedelta(days=365 * 30),
            )
        )

    async def session_over_socket():
        async with charger(live_server.ws_url(name)) as cp:
            boot = await cp.call(
                call.BootNotification(
                    charge_point_vendor="Voltline",
                    charge_point_model="Sim-22",
                    charge_point_serial_number="CP-SN-1",
                    charge_box_serial_number="BOX-SN-1",
                    firmware_version="1.2.3",
                    iccid="8901234567890123456",
                    imsi="310260123456789",
                    meter_type="AC-Meter",
                    meter_serial_number="MTR-1",
                ),
                suppress=False,
            )
            available = await cp.call(
                call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Available", timestamp=to_wire(T0)
                ),
                suppress=False,
            )
            authorize = await cp.call(call.Authorize(id_tag="RFID-E2E"), suppress=False)
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1,
                    id_tag="RFID-E2E",
                    meter_start=1000,
                    timestamp=to_wire(T0 + timedelta(seconds=5)),
                ),
                suppress=False,
            )
            charging = await cp.call(
                call.StatusNotification(
                    connector_id=1,
                    error_code="NoError",
                    status="Charging",
                    timestamp=to_wire(T0 + timedelta(seconds=6)),
                ),
                suppress=False,
            )
            meter = await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=start.transaction_id,
                    meter_value=[
                        {
                            "timestamp": to_wire(T0 + timedelta(minutes=30)),
                            "sampled_value": [
                                {
                                    "value": "3500",
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                    "context": "Sample.Periodic",
                                },
                                {
                                    "value": "7.2",
                                    "measurand": "Power.Active.Import",
                                    "unit": "kW",
                                    "phase": "L1",
                                    "location": "Outlet",
                                },
                            ],
                        }
                    ],
                ),
                suppress=False,
            )
            stop = await cp.call(
                call.StopTransaction(
                    meter_stop=6000,
                    timestamp=to_wire(T0 + timedelta(hours=1)),
                    transaction_id=start.transaction_id,
                    reason="EVDisconnected",
                    id_tag="RFID-E2E",
                    transaction_data=[
                        {
                            "timestamp": to_wire(T0 + timedelta(hours=1)),
                            "sampled_value": [{"value": "6000", "context": "Transaction.End"}],
                        }
                    ],
                ),
                suppress=False,
            )
            finished = await cp.call(
                call.StatusNotification(
                    connector_id=1,
                    error_code="NoError",
                    status="Available",
                    timestamp=to_wire(T0 + timedelta(hours=1, seconds=1)),
                ),
                suppress=False,
            )
            return boot, available, authorize, start, charging, meter, stop, finished

    boot, available, authorize, start, charging, meter, stop, finished = run(session_over_socket())

    assert boot.status == "Accepted" and boot.interval == 300
    assert abs(parse_timestamp(boot.current_time) - datetime.now(UTC)) < timedelta(minutes=1)
    assert authorize.id_tag_info == {
        "status": "Accepted",
        "parent_id_tag": "FLEET-1",
        "expiry_date": to_wire(T0 + timedelta(days=365 * 30)),
    }
    assert start.id_tag_info["status"] == "Accepted"
    assert stop.id_tag_info["status"] == "Accepted"
    assert available == charging == finished == call_result.StatusNotification()
    assert meter == call_result.MeterValues()

    def disconnected():
        with live_db.unit_of_work() as session:
            row = session.scalar(select(Charger).where(Charger.name == name))
            return row.status == ChargerStatus.DISCONNECTED

    eventually(disconnected)
    with live_db.unit_of_work() as session:
        cp = session.scalar(select(Charger).where(Charger.name == name))
        assert (cp.vendor, cp.model, cp.serial_number, cp.box_serial_number) == (
            "Voltline",
            "Sim-22",
            "CP-SN-1",
            "BOX-SN-1",
        )
        assert (cp.firmware_version, cp.iccid, cp.imsi, cp.meter_type, cp.meter_serial_number) == (
            "1.2.3",
            "8901234567890123456",
            "310260123456789",
            "AC-Meter",
            "MTR-1",
        )
        assert cp.last_boot_at is not None and cp.last_heartbeat is not None

        tx = session.get(Transaction, start.transaction_id)
        connector = session.get(Connector, tx.connector_id)
        assert (connector.charger_id, connector.connector_id) == (cp.id, 1)
        assert (tx.id_tag, tx.meter_start, tx.meter_stop) == ("RFID-E2E", 1000, 6000)
        assert (tx.start_time, tx.end_time) == (T0 + timedelta(seconds=5), T0 + timedelta(hours=1))
        assert (tx.stop_reason, tx.stop_id_tag) == ("EVDisconnected", "RFID-E2E")
        assert (connector.status, connector.ocpp_status, connector.error_code) == (
            "AVAILABLE",
            "Available",
            "NoError",
        )

        samples = session.execute(
            select(
                MeterValue.measurand,
                MeterValue.value,
                MeterValue.unit,
                MeterValue.context,
                MeterValue.phase,
                MeterValue.transaction_id,
            )
            .where(MeterValue.charger_id == cp.id)
            .order_by(MeterValue.timestamp, MeterValue.value)
        ).all()
        assert samples == [
            ("Energy.Active.Import.Register", "3500", "Wh", "Sample.Periodic", None, tx.id),
            ("Power.Active.Import", "7.2", "kW", "Sample.Periodic", "L1", tx.id),
            ("Energy.Active.Import.Register", "6000", "Wh", "Transaction.End", None, tx.id),
        ]

        log = session.scalars(
            select(StatusLog.status).where(StatusLog.charger_id == cp.id).order_by(StatusLog.id)
        ).all()
        assert log == ["Connected", "Available", "Charging", "Available", "Disconnected"]

        actions = [
            "BootNotification",
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StatusNotification",
            "MeterValues",
            "StopTransaction",
            "StatusNotification",
        ]
        # Boot and Authorize exchanges are bookkeeping, written behind within a second: the
        # log's order is its time order.
        frames = eventually(lambda: _message_log(live_db, name, 2 * len(actions)))
        assert frames == [
            frame for action in actions for frame in (("in", 2, action), ("out", 3, action))
        ]

        outbox = session.scalar(select(TaskOutbox).where(TaskOutbox.dedupe_key == str(tx.id)))
        assert outbox.task_name == "finalize_session"
        assert outbox.arguments == {"transaction_id": tx.id}

    def finalized():
        with live_db.unit_of_work() as session:
            return session.get(Transaction, start.transaction_id).finalized_at is not None

    # Embedded mode (no REDIS_URL): the outbox runs finalize_session right after the answer.
    eventually(finalized)
    with live_db.unit_of_work() as session:
        tx = session.get(Transaction, start.transaction_id)
        assert tx.status == "Completed"
        assert tx.energy_consumed_kwh == pytest.approx(5.0)


def _message_log(database, name: str, count: int):
    """The charger's message log in time order, once it holds `count` rows."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(OcppMessage.direction, OcppMessage.message_type, OcppMessage.action)
            .where(OcppMessage.charger_name == name)
            .order_by(OcppMessage.created_at, OcppMessage.id)
        ).all()
    return rows if len(rows) >= count else None
