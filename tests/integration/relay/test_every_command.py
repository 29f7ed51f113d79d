"""Every central-system command of OCPP 1.6 and its security extension, sent over REST to a
live charger: the CALL it gets, the one outcome recorded, and the side effects kept."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v16 import call
from sqlalchemy import select

from domain.clock import parse_timestamp
from domain.models import (
    Charger,
    ChargingProfile,
    ConfigurationKey,
    Reservation,
    Transaction,
    TransactionType,
)
from domain.services.command_actions import COMMAND_ACTIONS
from domain.services.commands import get_command
from tests.charger import ANSWERS, CERTIFICATE_HASH, LiveCharger
from tests.ocpp_client import register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

_ids = itertools.count(70_001)
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"


@dataclass(frozen=True)
class Case:
    payload: dict
    status: str
    check: Callable | None = None  # (db, charger name, payload) -> None, after the command
    before: Callable | None = None  # (api, db, charger name) -> None
    extra: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def charger_name(cluster_db) -> str:
    return register_charger(cluster_db, "relay-all")


@pytest.fixture(scope="module")
def live(node_a, charger_name):
    with LiveCharger(node_a.ws_url(charger_name), charger_name) as charger:
        yield charger


@pytest.fixture(autouse=True)
def default_answers(live):
    live.cp.answers = dict(ANSWERS)


def charger_row(db, name) -> Charger:
    with db.unit_of_work() as session:
        return session.scalar(select(Charger).where(Charger.name == name))


def configuration(db, name) -> dict[str, tuple[str | None, bool | None]]:
    charger_id = charger_row(db, name).id
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(ConfigurationKey).where(ConfigurationKey.charger_id == charger_id)
        )
        return {row.key: (row.value, row.readonly) for row in rows}


def remote_start_marks_the_next_start_transaction_remote(db, name, payload, live):
    answer = live.call(
        call.StartTransaction(
            connector_id=1, id_tag=payload["idTag"], meter_start=0, timestamp="2030-01-01T08:00:00Z"
        )
    )
    with db.unit_of_work() as session:
        transaction = session.get(Transaction, answer.transaction_id)
        assert transaction.type == TransactionType.REMOTE
    unrelated = live.call(
        call.StartTransaction(
            connector_id=2, id_tag="LOCAL-TAG", meter_start=0, timestamp="2030-01-01T08:00:00Z"
        )
    )
    with db.unit_of_work() as session:
        assert session.get(Transaction, unrelated.transaction_id).type == TransactionType.CHARGER


def configuration_key_changed(db, name, payload, live):
    assert configuration(db, name)[payload["key"]] == (payload["value"], None)


def configuration_read(db, name, payload, live):
    keys = configuration(db, name)
    assert keys["HeartbeatInterval"] == ("300", False)
    assert keys["NumberOfConnectors"] == ("2", True)
    assert "NoSuchKey" not in keys


def remember_a_key_the_charger_no_longer_knows(api, db, name):
    with db.unit_of_work() as session:
        session.add(ConfigurationKey(charger_id=charger_row(db, name).id, key="NoSuchKey"))


def local_list_version_is(version):
    def check(db, name, payload, live):
        assert charger_row(db, name).local_list_version == version

    return check


def reservation(db, reservation_id) -> Reservation:
    with db.unit_of_work() as session:
        return session.scalar(
            select(Reservation).where(Reservation.reservation_id == reservation_id)
        )


def reservation_kept(db, name, payload, live):
    kept = reservation(db, payload["reservationId"])
    assert (kept.connector_id, kept.id_tag, kept.status) == (1, payload["idTag"], "Active")
    assert kept.expiry_date == parse_timestamp(payload["expiryDate"])


def reserve_first(payload):
    def before(api, db, name):
        reserve = {**RESERVE, "reservationId": payload["reservationId"]}
        assert api.command(name, "ReserveNow", reserve).json()["status"] == "Accepted"

    return before


def reservation_cancelled(db, name, payload, live):
    assert reservation(db, payload["reservationId"]).status == "Cancelled"


def profiles(db, name) -> dict[int, ChargingProfile]:
    charger_id = charger_row(db, name).id
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(ChargingProfile).where(ChargingProfile.charger_id == charger_id)
        )
        return {row.profile_id: row for row in rows}


def profile_kept(db, name, payload, live):
    profile = payload["csChargingProfiles"]
    kept = profiles(db, name)[profile["chargingProfileId"]]
    assert (kept.connector_id, kept.stack_level, kept.purpose) == (1, 1, "TxDefaultProfile")
    assert kept.profile == profile


def set_profile_first(profile_id):
    def before(api, db, name):
        answer = api.command(name, "SetChargingProfile", charging_profile(profile_id))
        assert answer.json()["status"] == "Accepted"
        assert profile_id in profiles(db, name)

    return before


def profile_removed(db, name, payload, live):
    assert payload["id"] not in profiles(db, name)


def charging_profile(profile_id: int) -> dict:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": profile_id,
            "stackLevel": 1,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
            },
        },
    }


RESERVE = {"connectorId": 1, "expiryDate": "2030-01-01T10:00:00.000Z", "idTag": "RES-TAG"}
RESERVATION_IDS = next(_ids), next(_ids)
PROFILE_IDS = next(_ids), next(_ids)

CASES: dict[str, Case] = {
    "RemoteStartTransaction": Case(
        {"connectorId": 1, "idTag": "REMOTE-TAG"},
        "Accepted",
        remote_start_marks_the_next_start_transaction_remote,
    ),
    "RemoteStopTransaction": Case({"transactionId": 1}, "Accepted"),
    "Reset": Case({"type": "Soft"}, "Accepted"),
    "ChangeAvailability": Case({"connectorId": 0, "type": "Inoperative"}, "Scheduled"),
    "ChangeConfiguration": Case(
        {"key": "MeterValueSampleInterval", "value": "60"}, "Accepted", configuration_key_changed
    ),
    "GetConfiguration": Case(
        {"key": ["HeartbeatInterval", "NumberOfConnectors", "NoSuchKey"]},
        "Completed",
        configuration_read,
        remember_a_key_the_charger_no_longer_knows,
    ),
    "ClearCache": Case({}, "Accepted"),
    "UnlockConnector": Case({"connectorId": 1}, "Unlocked"),
    "DataTransfer": Case({"vendorId": "Voltline", "messageId": "ping", "data": "x"}, "Accepted"),
    "GetDiagnostics": Case({"location": "ftp://logs.example/"}, "Completed"),
    "UpdateFirmware": Case(
        {"location": "https://fw.example/1.bin", "retrieveDate": "2030-01-01T00:00:00Z"},
        "Completed",
    ),
    "SendLocalList": Case(
        {
            "listVersion": 5,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "LIST-1", "idTagInfo": {"status": "Accepted"}}],
        },
        "Accepted",
        local_list_version_is(5),
    ),
    "GetLocalListVersion": Case({}, "Completed", local_list_version_is(42)),
    "ReserveNow": Case(
        {**RESERVE, "reservationId": RESERVATION_IDS[0]}, "Accepted", reservation_kept
    ),
    "CancelReservation": Case(
        {"reservationId": RESERVATION_IDS[1]},
        "Accepted",
        reservation_cancelled,
        reserve_first({"reservationId": RESERVATION_IDS[1]}),
    ),
    "SetChargingProfile": Case(charging_profile(PROFILE_IDS[0]), "Accepted", profile_kept),
    "ClearChargingProfile": Case(
        {"id": PROFILE_IDS[1]}, "Accepted", profile_removed, set_profile_first(PROFILE_IDS[1])
    ),
    "GetCompositeSchedule": Case(
        {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}, "Accepted"
    ),
    "TriggerMessage": Case({"requestedMessage": "Heartbeat"}, "Accepted"),
    "ExtendedTriggerMessage": Case(
        {"requestedMessage": "StatusNotification", "connectorId": 1}, "Accepted"
    ),
    "GetLog": Case(
        {"logType": "SecurityLog", "requestId": 1, "log": {"remoteLocation": "https://l.example"}},
        "Accepted",
    ),
    "SignedUpdateFirmware": Case(
        {
            "requestId": 2,
            "firmware": {
                "location": "https://fw.example/2.bin",
                "retrieveDateTime": "2030-01-01T00:00:00Z",
                "signingCertificate": PEM,
                "signature": "c2lnbmF0dXJl",
            },
        },
        "Accepted",
    ),
    "CertificateSigned": Case({"certificateChain": PEM}, "Accepted"),
    "InstallCertificate": Case(
        {"certificateType": "CentralSystemRootCertificate", "certificate": PEM}, "Accepted"
    ),
    "DeleteCertificate": Case({"certificateHashData": CERTIFICATE_HASH}, "Accepted"),
    "GetInstalledCertificateIds": Case(
        {"certificateType": "CentralSystemRootCertificate"}, "Accepted"
    ),
}


def test_every_central_system_action_has_a_case():
    assert sorted(CASES) == sorted(map(str, COMMAND_ACTIONS))


@pytest.mark.parametrize("action", sorted(CASES))
def test_command_reaches_the_charger_and_ends_in_its_answer(
    action, api_a, cluster_db, charger_name, live
):
    case = CASES[action]
    if case.before is not None:
        case.before(api_a, cluster_db, charger_name)

    reply = api_a.command(charger_name, action, case.payload)

    assert reply.status_code == 200, reply.text
    body = reply.json()
    expected_answer = snake_to_camel_case(remove_nones(serialize_as_dict(ANSWERS[action])))
    assert (body["status"], body["final"], body["response"]) == (
        case.status,
        True,
        expected_answer,
    )
    assert reply.headers["Location"] == f"/api/commands/{body['id']}"
    assert (body["id"], action, case.payload) in live.received
    with cluster_db.unit_of_work() as session:
        command = get_command(session, body["id"])
        assert (command.status, command.response, command.action) == (
            case.status,
            expected_answer,
            action,
        )
        assert command.requested_by == "relay-operator" and command.error_code is None
        assert command.sent_at is not None and command.completed_at >= command.sent_at
    if case.check is not None:
        case.check(cluster_db, charger_name, case.payload, live)


@pytest.mark.parametrize(
    ("action", "req_data", "sent_action", "sent_payload"),
    [
        (
            "StartRemoteTransaction",
            {
                "connectorId": 1,
                "idTag": "SEED-TAG",
                "timestamp": "2025-03-22T12:00:00Z",
                "meterStart": 1000,
            },
            "RemoteStartTransaction",
            {"connectorId": 1, "idTag": "SEED-TAG"},
        ),
        (
            "StopRemoteTransaction",
            {"transactionId": 1, "timestamp": "2025-03-22T14:00:00Z", "meterStop": 1050},
            "RemoteStopTransaction",
            {"transactionId": 1},
        ),
    ],
)
def test_original_send_command_remote_actions_reach_the_live_charger(
    action, req_data, sent_action, sent_payload, api_a, charger_name, live
):
    reply = api_a.session.post(
        f"{api_a.base}/api/chargers/{charger_name}/send-command/",
        json={"command": {"action": action, "req_data": req_data}},
        timeout=60,
    )

    assert (reply.status_code, reply.json()) == (200, {"status": "Accepted"})
    assert [(a, p) for _, a, p in live.received][-1] == (sent_action, sent_payload)
