"""send-command / send_command: the five charger actions run as if the charger sent them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.models import Charger, Transaction
from domain.services.id_tags import create_id_tag
from tests.integration.api.conftest import assert_error
from web.extensions import database

# The original design's README request bodies, as written.
BOOT = {
    "command": {
        "action": "BootNotification",
        "req_data": {
            "chargeBoxSerialNumber": "12345ABC",
            "chargePointModel": "Model-X",
            "chargePointSerialNumber": "67890DEF",
            "chargePointVendor": "VendorXYZ",
            "firmwareVersion": "1.2.3",
            "iccid": "89012345678901234567",
            "imsi": "310260123456789",
            "meterSerialNumber": "1122334455",
        },
    }
}
HEARTBEAT = {"command": {"action": "Heartbeat", "req_data": {}}}
AUTHORIZE = {"command": {"action": "Authorize", "req_data": {"idTag": "1234567890AB"}}}
START = {
    "command": {
        "action": "StartTransaction",
        "req_data": {
            "connectorId": 1,
            "idTag": "1234567890AB",
            "timestamp": "2025-03-22T12:00:00Z",
            "meterStart": 1000,
        },
    }
}
STOP = {
    "command": {
        "action": "StopTransaction",
        "req_data": {"transactionId": 1, "timestamp": "2025-03-22T14:00:00Z", "meterStop": 1050},
    }
}


def charger_row(app, name="charger_1") -> Charger:
    with database(app).unit_of_work() as session:
        return session.scalar(select(Charger).where(Charger.name == name))


def test_boot_notification_stores_the_details_and_answers_accepted(send, seeded):
    answer = send(BOOT)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "Accepted" and body["interval"] == 300
    assert body["currentTime"].endswith("Z")
    charger = charger_row(seeded)
    assert (charger.vendor, charger.model, charger.iccid) == (
        "VendorXYZ",
        "Model-X",
        "89012345678901234567",
    )


@pytest.mark.parametrize("path", ["send-command", "send_command"])
def test_heartbeat_answers_the_current_time_on_both_paths(send, seeded, path):
    body = send(HEARTBEAT, path=path).get_json()
    assert set(body) == {"currentTime"} and body["currentTime"].endswith("Z")
    assert charger_row(seeded).last_heartbeat is not None


def test_authorize_answers_the_id_tag_status(send, seeded):
    assert send(AUTHORIZE).get_json() == {"idTagInfo": {"status": "Invalid"}}
    with database(seeded).unit_of_work() as session:
        create_id_tag(session, "1234567890ab")
    assert send(AUTHORIZE).get_json()["idTagInfo"]["status"] == "Accepted"


def test_start_then_stop_records_one_transaction_and_a_retry_changes_nothing(send, api, auth):
    started = send(START).get_json()
    assert started["transactionId"] == 1
    assert send(START).get_json()["transactionId"] == 1
    assert send(STOP).status_code == 200
    assert send(STOP).status_code == 200
    transactions = api.get("/api/transactions/", headers=auth("viewer")).get_json()
    assert len(transactions) == 1
    assert (transactions[0]["status"], transactions[0]["meter_stop"]) == ("Completed", 1050)


def test_calls_are_logged_as_coming_from_the_api(send, api, auth):
    send(HEARTBEAT)
    log = api.get("/api/chargers/charger_1/messages/?source=api", headers=auth("viewer")).json
    assert [(m["direction"], m["message_type"], m["action"]) for m in log] == [
        ("out", 3, "Heartbeat"),
        ("in", 2, "Heartbeat"),
    ]
    assert log[0]["unique_id"] == log[1]["unique_id"]
    assert log[1]["payload"] == {} and set(log[0]["payload"]) == {"currentTime"}


def test_invalid_req_data_is_400_listing_every_violation_and_writes_nothing(
    send, api, auth, seeded
):
    bad = {
        "command": {
            "action": "StartTransaction",
            "req_data": {"connectorId": "one", "idTag": "x" * 37},
        }
    }
    body = assert_error(send(bad), 400)
    paths = sorted(v["path"] for v in body["errors"]["req_data"])
    assert paths == ["(payload)", "(payload)", "connectorId", "idTag"]
    assert all(v["message"] for v in body["errors"]["req_data"])
    with database(seeded).unit_of_work() as session:
        assert session.scalar(select(Transaction.id)) is None
    assert api.get("/api/chargers/charger_1/messages/", headers=auth("viewer")).json == []


SEED_START = {
    "command": {
        "action": "StartTransaction",
        "req_data": {
            "connectorId": 1,
            "idTag": "e0607b18-2f62-4621-8f4f-ceb6c002e2e0",
            "timestamp": "2025-03-22T12:00:00Z",
            "meterStart": 1000,
        },
    }
}


def test_the_seed_start_example_with_a_36_character_uuid_id_tag_is_taken_verbatim(send, api, auth):
    answer = send(SEED_START)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["transactionId"] == 1
    transactions = api.get("/api/transactions/", headers=auth("viewer")).get_json()
    assert [t["id_tag"] for t in transactions] == ["e0607b18-2f62-4621-8f4f-ceb6c002e2e0"]


def test_the_charger_own_uuid_id_tag_is_accepted_through_send_command(send, seeded):
    own = charger_row(seeded).id_tag
    start = {
        "command": {**SEED_START["command"], "req_data": {**SEED_START["command"]["req_data"]}}
    }
    start["command"]["req_data"]["idTag"] = own
    assert send(start).get_json()["idTagInfo"] == {"status": "Accepted"}
    stop = {"command": {**STOP["command"], "req_data": {**STOP["command"]["req_data"]}}}
    stop["command"]["req_data"]["idTag"] = own
    assert send(stop).get_json() == {"idTagInfo": {"status": "Accepted"}}


def test_an_id_tag_longer_than_a_uuid_is_refused_through_send_command(send):
    start = {
        "command": {**SEED_START["command"], "req_data": {**SEED_START["command"]["req_data"]}}
    }
    start["command"]["req_data"]["idTag"] = "x" * 37
    violations = assert_error(send(start), 400)["errors"]["req_data"]
    assert [(v["path"], v["code"]) for v in violations] == [
        ("idTag", "PropertyConstraintViolation")
    ]


def test_unknown_action_is_400_and_unknown_charger_404(send):
    body = assert_error(send({"command": {"action": "Reboot", "req_data": {}}}), 400)
    assert "Heartbeat" in body["errors"]["action"][0]
    assert_error(send(HEARTBEAT, charger="charger_404"), 404)


def test_malformed_bodies_are_4xx_json(send, api, auth):
    assert_error(send({}), 422)
    assert_error(send({"command": {"req_data": {}}}), 422)
    assert_error(send({"command": {"action": "Heartbeat", "req_data": []}}), 422)
    invalid_json = api.post(
        "/api/chargers/charger_1/send-command/",
        data='{"command": {"action": "Heartbeat",}}',
        content_type="application/json",
        headers=auth("operator"),
    )
    assert_error(invalid_json, 400)


def test_viewers_cannot_send_commands(send):
    assert_error(send(HEARTBEAT, role="viewer"), 403)
