"""answer_charger_call: what each charger-initiated message stores and answers."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import to_wire
from domain.errors import InvalidInput
from domain.models import (
    Charger,
    ChargerEvent,
    Connector,
    IdTag,
    MeterValue,
    StatusLog,
    TaskOutbox,
    Transaction,
)
from domain.services.charger_calls import CHARGER_ACTIONS, CallContext, answer_charger_call
from domain.services.chargers import create_charger, find_charger
from web.ocpp.validation import schema_violations

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
T0 = to_wire(NOW - timedelta(hours=1))
CONTEXT = CallContext(now=NOW, heartbeat_interval=300)
ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
def answer(db):
    with db.unit_of_work() as session:
        create_charger(session, "cp1", connector_ids=(1, 2))
        create_charger(session, "cp2", connector_ids=(1,))
        session.add_all(
            [
                IdTag(id_tag="GOOD", parent_id_tag="FLEET"),
                IdTag(id_tag="BLOCKED", status="Blocked"),
                IdTag(id_tag="OLD", expiry_date=NOW - timedelta(days=1)),
                IdTag(id_tag="MarkedExpired", status="Expired"),
            ]
        )

    def answer(action, payload, charger="cp1", context=CONTEXT):
        with db.unit_of_work() as session:
            conf = answer_charger_call(
                session, find_charger(session, charger), action, payload, context
            )
        assert schema_violations(action, conf, response=True) == []
        return conf

    return answer


def rows(db, query):
    with db.unit_of_work() as session:
        return session.execute(query).all()


def start(answer, id_tag="GOOD", connector=1, timestamp=T0, charger="cp1", meter=100):
    payload = {"connectorId": connector, "idTag": id_tag, "meterStart": meter,
               "timestamp": timestamp}  # fmt: skip
    return answer("StartTransaction", payload, charger)


def test_boot_stores_the_charger_and_answers_by_registration_status(db, answer):
    boot = {"chargePointVendor": "V", "chargePointModel": "M", "firmwareVersion": "2.0",
            "meterSerialNumber": "MS1"}  # fmt: skip
    assert answer("BootNotification", boot) == {
        "status": "Accepted", "currentTime": to_wire(NOW), "interval": 300
    }  # fmt: skip
    stormy = CallContext(now=NOW, heartbeat_interval=300, boot_retry_interval=42)
    assert answer("BootNotification", boot, context=stormy)["status"] == "Pending"
    assert answer("BootNotification", boot, context=stormy)["interval"] == 42
    with db.unit_of_work() as session:
        charger = find_charger(session, "cp1")
        assert (charger.vendor, charger.model, charger.firmware_version) == ("V", "M", "2.0")
        assert charger.meter_serial_number == "MS1" and charger.last_boot_at == NOW
        charger.registration_status = "Pending"
        find_charger(session, "cp2").registration_status = "Rejected"
    assert answer("BootNotification", boot)["status"] == "Pending"
    assert answer("BootNotification", boot, charger="cp2")["status"] == "Rejected"
    assert answer("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    with db.unit_of_work() as session:
        assert find_charger(session, "cp1").firmware_version is None


def test_heartbeat_answers_the_time_and_notes_it(db, answer):
    assert answer("Heartbeat", {}) == {"currentTime": to_wire(NOW)}
    with db.unit_of_work() as session:
        charger = find_charger(session, "cp1")
        assert charger.last_heartbeat == NOW and charger.last_communication == NOW


@pytest.mark.parametrize(
    ("id_tag", "info"),
    [
        ("GOOD", {"status": "Accepted", "parentIdTag": "FLEET"}),
        ("good", {"status": "Accepted", "parentIdTag": "FLEET"}),
        ("BLOCKED", {"status": "Blocked"}),
        ("OLD", {"status": "Expired", "expiryDate": to_wire(NOW - timedelta(days=1))}),
        ("MarkedExpired", {"status": "Expired"}),
        ("NOBODY", {"status": "Invalid"}),
    ],
)
def test_authorize_reads_the_id_tag_table(answer, id_tag, info):
    assert answer("Authorize", {"idTag": id_tag}) == {"idTagInfo": info}


def test_the_chargers_own_id_tag_is_accepted(db, answer):
    with db.unit_of_work() as session:
        own = find_charger(session, "cp1").id_tag
    assert answer("Authorize", {"idTag": own}) == {"idTagInfo": {"status": "Accepted"}}


def test_a_tag_that_already_charges_is_concurrent_at_start_but_not_at_authorize(answer):
    first = start(answer)
    assert first["idTagInfo"]["status"] == "Accepted"
    # 1.6 section 7.2: ConcurrentTx is only relevant for a StartTransaction.req.
    assert answer("Authorize", {"idTag": "GOOD"})["idTagInfo"]["status"] == "Accepted"
    second = start(answer, connector=2, timestamp=to_wire(NOW))
    assert second["idTagInfo"]["status"] == "ConcurrentTx"
    assert second["transactionId"] != first["transactionId"]


def test_a_retried_start_returns_the_same_transaction(db, answer):
    first = start(answer)
    assert start(answer) == first
    assert start(answer, timestamp=T0.replace(".000Z", "Z")) == first
    assert rows(db, select(func.count()).select_from(Transaction)) == [(1,)]
    with db.unit_of_work() as session:
        tx = session.get(Transaction, first["transactionId"])
        connector = session.get(Connector, tx.connector_id)
        assert (tx.status, tx.meter_start, connector.status) == ("Active", 100, "OCCUPIED")


def test_a_start_with_an_unknown_tag_is_recorded_and_answered_invalid(db, answer):
    conf = start(answer, id_tag="STRANGER")
    assert conf["idTagInfo"] == {"status": "Invalid"}
    with db.unit_of_work() as session:
        assert session.get(Transaction, conf["transactionId"]).id_tag == "STRANGER"


def test_a_start_on_a_new_connector_creates_it(db, answer):
    start(answer, connector=7)
    assert rows(db, select(Connector.connector_tag).where(Connector.connector_id == 7)) == [
        ("connector_7",)
    ]


def stop(answer, transaction_id, charger="cp1", **extra):
    payload = {"transactionId": transaction_id, "meterStop": 5100,
               "timestamp": to_wire(NOW), **extra}  # fmt: skip
    return answer("StopTransaction", payload, charger)


def test_stop_closes_the_transaction_frees_the_connector_and_enqueues_finalisation(db, answer):
    tx_id = start(answer)["transactionId"]
    sample = {
        "timestamp": to_wire(NOW),
        "sampledValue": [{"value": "5100", "context": "Transaction.End"}],
    }
    assert stop(answer, tx_id, idTag="GOOD", transactionData=[sample]) == {
        "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}
    }
    assert stop(answer, tx_id, idTag="GOOD", transactionData=[sample])  # a retry
    with db.unit_of_work() as session:
        tx = session.get(Transaction, tx_id)
        assert (tx.status, tx.meter_stop, tx.end_time) == ("Completed", 5100, NOW)
        assert (tx.stop_reason, tx.stop_id_tag) == ("Local", "GOOD")
        assert session.get(Connector, tx.connector_id).status == "AVAILABLE"
    assert rows(db, select(TaskOutbox.task_name, TaskOutbox.dedupe_key, TaskOutbox.arguments)) == [
        ("finalize_session", str(tx_id), {"transaction_id": tx_id})
    ]
    assert rows(db, select(MeterValue.transaction_id, MeterValue.value, MeterValue.context)) == [
        (tx_id, "5100", "Transaction.End")
    ]


def test_stop_without_id_tag_answers_empty(answer):
    tx_id = start(answer)["transactionId"]
    assert stop(answer, tx_id, reason="EVDisconnected") == {}


def test_an_unknown_stop_is_accepted_and_recorded_once(db, answer):
    sample = {"timestamp": to_wire(NOW), "sampledValue": [{"value": "77"}]}
    assert stop(answer, 999_999, transactionData=[sample]) == {}
    assert stop(answer, 999_999, transactionData=[sample]) == {}
    assert stop(answer, -1) == {}  # some chargers stop offline sessions as -1
    events = rows(db, select(ChargerEvent.action, ChargerEvent.status, ChargerEvent.payload))
    assert events[1:] == [
        ("StopTransaction", "UnknownTransaction",
         {"transactionId": -1, "meterStop": 5100, "timestamp": to_wire(NOW),
          "reason": None, "idTag": None}),
    ]  # fmt: skip
    assert events[:1] == [
        ("StopTransaction", "UnknownTransaction",
         {"transactionId": 999_999, "meterStop": 5100, "timestamp": to_wire(NOW),
          "reason": None, "idTag": None}),
    ]  # fmt: skip
    assert rows(db, select(MeterValue.transaction_id, MeterValue.ocpp_transaction_id)) == [
        (None, 999_999)
    ]
    assert rows(db, select(func.count()).select_from(TaskOutbox)) == [(0,)]


def test_another_chargers_transaction_is_not_closed(db, answer):
    tx_id = start(answer)["transactionId"]
    assert stop(answer, tx_id, charger="cp2") == {}
    with db.unit_of_work() as session:
        assert session.get(Transaction, tx_id).status == "Active"


def test_meter_values_store_each_sample_once_with_spec_defaults(db, answer):
    tx_id = start(answer)["transactionId"]
    payload = {
        "connectorId": 1,
        "transactionId": tx_id,
        "meterValue": [
            {"timestamp": to_wire(NOW), "sampledValue": [
                {"value": "1000"},
                {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
                {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L2-N"},
            ]},
        ],
    }  # fmt: skip
    assert answer("MeterValues", payload) == {}
    assert answer("MeterValues", payload) == {}
    explicit = {**payload, "meterValue": [{"timestamp": to_wire(NOW), "sampledValue": [
        {"value": "1000", "measurand": ENERGY, "unit": "Wh",
         "context": "Sample.Periodic", "location": "Outlet", "format": "Raw"}]}]}  # fmt: skip
    answer("MeterValues", explicit)
    stored = rows(
        db,
        select(MeterValue.measurand, MeterValue.phase, MeterValue.unit, MeterValue.context,
               MeterValue.location, MeterValue.format, MeterValue.value, MeterValue.transaction_id)
        .order_by(MeterValue.id),
    )  # fmt: skip
    assert stored == [
        (ENERGY, None, "Wh", "Sample.Periodic", "Outlet", "Raw", "1000", tx_id),
        ("Voltage", "L1-N", "V", "Sample.Periodic", "Outlet", "Raw", "230.1", tx_id),
        ("Voltage", "L2-N", "V", "Sample.Periodic", "Outlet", "Raw", "230.1", tx_id),
    ]  # fmt: skip


def test_meter_values_of_connector_0_and_unknown_transactions_are_kept(db, answer):
    reading = {"timestamp": to_wire(NOW), "sampledValue": [{"value": "9"}]}
    payload = {"connectorId": 0, "transactionId": 4242, "meterValue": [reading]}
    answer("MeterValues", payload)
    assert rows(db, select(MeterValue.connector_id, MeterValue.transaction_id,
                           MeterValue.ocpp_transaction_id)) == [(None, None, 4242)]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "word"),
    [
        ("Available", "AVAILABLE"), ("Preparing", "OCCUPIED"), ("Charging", "OCCUPIED"),
        ("SuspendedEV", "OCCUPIED"), ("SuspendedEVSE", "OCCUPIED"), ("Finishing", "OCCUPIED"),
        ("Reserved", "OCCUPIED"), ("Faulted", "FAULTY"), ("Unavailable", "FAULTY"),
    ],
)  # fmt: skip
def test_status_notification_maps_to_the_seed_words(db, answer, status, word):
    payload = {"connectorId": 2, "status": status, "errorCode": "NoError"}
    assert answer("StatusNotification", payload) == {}
    with db.unit_of_work() as session:
        connector = session.scalar(select(Connector).where(Connector.connector_id == 2))
        assert (connector.status, connector.ocpp_status) == (word, status)


def test_status_notification_keeps_error_details_and_logs(db, answer):
    answer("StatusNotification", {
        "connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure", "info": "RCD tripped",
        "vendorId": "ACME", "vendorErrorCode": "E42", "timestamp": to_wire(NOW)})  # fmt: skip
    answer(
        "StatusNotification", {"connectorId": 0, "status": "Unavailable", "errorCode": "NoError"}
    )
    stale = {"connectorId": 1, "status": "Available", "errorCode": "NoError",
             "timestamp": to_wire(NOW - timedelta(minutes=5))}  # fmt: skip
    answer("StatusNotification", stale)
    with db.unit_of_work() as session:
        connector = session.scalar(select(Connector).where(Connector.connector_id == 1))
        assert (connector.status, connector.error_code, connector.info) == (
            "FAULTY", "GroundFailure", "RCD tripped")  # fmt: skip
        assert (connector.vendor_id, connector.vendor_error_code) == ("ACME", "E42")
    assert rows(db, select(StatusLog.connector_id, StatusLog.status, StatusLog.message)
                .order_by(StatusLog.id)) == [
        (1, "Faulted",
         "errorCode=GroundFailure; info=RCD tripped; vendorId=ACME; vendorErrorCode=E42"),
        (0, "Unavailable", "errorCode=NoError"),
        (1, "Available", "errorCode=NoError"),
    ]  # fmt: skip


def test_data_transfer_is_stored_and_unknown_vendors_are_named(db, answer):
    assert answer("DataTransfer", {"vendorId": "com.acme", "data": "x"}) == {
        "status": "UnknownVendorId"
    }
    known = CallContext(
        now=NOW, heartbeat_interval=300, data_transfer_vendors=frozenset({"com.acme"})
    )
    assert answer("DataTransfer", {"vendorId": "com.acme"}, context=known) == {"status": "Accepted"}
    assert rows(db, select(ChargerEvent.action, ChargerEvent.status).order_by(ChargerEvent.id)) == [
        ("DataTransfer", "UnknownVendorId"), ("DataTransfer", "Accepted")
    ]  # fmt: skip


def test_notifications_are_stored_and_update_the_charger(db, answer):
    assert answer("FirmwareStatusNotification", {"status": "Installing"}) == {}
    assert answer("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
    assert answer("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": T0}) == {}
    assert (
        answer("SignedFirmwareStatusNotification", {"status": "InvalidSignature", "requestId": 9})
        == {}
    )
    assert answer("LogStatusNotification", {"status": "Uploaded", "requestId": 3}) == {}
    assert answer("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}) == {
        "status": "Rejected"
    }
    with db.unit_of_work() as session:
        charger = find_charger(session, "cp1")
        assert (charger.firmware_status, charger.diagnostics_status) == (
            "InvalidSignature",
            "Uploaded",
        )
    assert rows(db, select(ChargerEvent.action, ChargerEvent.status).order_by(ChargerEvent.id)) == [
        ("FirmwareStatusNotification", "Installing"),
        ("DiagnosticsStatusNotification", "Uploaded"),
        ("SecurityEventNotification", "FirmwareUpdated"),
        ("SignedFirmwareStatusNotification", "InvalidSignature"),
        ("LogStatusNotification", "Uploaded"),
        ("SignCertificate", "Rejected"),
    ]


def test_a_central_system_action_is_refused(db, answer):
    with db.unit_of_work() as session, pytest.raises(InvalidInput):
        answer_charger_call(session, session.scalar(select(Charger)), "Reset", {}, CONTEXT)
    assert "Reset" not in CHARGER_ACTIONS
