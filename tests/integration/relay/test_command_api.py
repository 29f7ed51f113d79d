"""The command REST API on the embedded app (in-process relay, no charger connected): what it
refuses before anything is sent, what it records, and how it answers."""

from __future__ import annotations

import json

import pytest

from domain.models import Command, Role
from domain.services.chargers import create_charger
from web.extensions import database
from web.relay import EventType, relay
from web.relay.events import event

RESET = {"type": "Soft"}


@pytest.fixture
def charger(app):
    with database(app).unit_of_work() as session:
        create_charger(session, "CP-1", connector_ids=(1,))


@pytest.fixture
def send(client, auth, charger):
    def post(action, body=None, role=Role.OPERATOR, extra=None, charger="CP-1", **params):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body or {})
        return client.post(
            f"/api/chargers/{charger}/commands/{action}",
            data=data,
            content_type="application/json",
            headers={**auth(role), **(extra or {})},
            query_string=params,
        )

    return post


def command_count(app) -> int:
    with database(app).unit_of_work() as session:
        return session.query(Command).count()


def test_payload_breaking_the_schema_is_refused_with_every_violation(app, send):
    reply = send("ReserveNow", {"connectorId": "one", "expiryDate": "soon", "extra": 1})

    assert reply.status_code == 400
    violations = reply.json["errors"]["payload"]
    paths = {violation["path"] for violation in violations}
    assert {"connectorId", "expiryDate", "(payload)"} <= paths
    messages = " ".join(violation["message"] for violation in violations)
    assert "'idTag' is a required property" in messages and "'extra'" in messages
    assert command_count(app) == 0


@pytest.mark.parametrize("body", ["{not json", '{"type": NaN}', "[1, Infinity]"])
def test_body_that_is_not_json_is_refused(app, send, body):
    reply = send("Reset", body)
    assert (reply.status_code, reply.json["message"]) == (400, "the body is not JSON")
    assert command_count(app) == 0


def test_charger_initiated_or_unknown_action_is_not_a_command(send):
    assert send("BootNotification").status_code == 404
    assert send("Reboot").status_code == 404


def test_commands_need_the_operator_role(client, send):
    assert send("Reset", RESET, role=Role.VIEWER).status_code == 403
    assert client.post("/api/chargers/CP-1/commands/Reset", json=RESET).status_code == 401


def test_unknown_charger_is_not_found(send):
    assert send("Reset", RESET, charger="nope").status_code == 404


def test_command_to_an_unconnected_charger_ends_offline(app, send):
    reply = send("Reset", RESET)

    assert reply.status_code == 200
    body = reply.json
    assert (body["status"], body["final"], body["charger"]) == ("Offline", True, "CP-1")
    assert body["requested_by"] == "operator" and body["payload"] == RESET
    assert reply.headers["Location"] == f"/api/commands/{body['id']}"


def test_command_with_a_queue_ttl_waits_for_the_charger(send):
    reply = send("Reset", RESET, queue_ttl=60)

    assert reply.status_code == 202
    assert (reply.json["status"], reply.json["final"]) == ("Queued", False)
    assert reply.json["queue_expires_at"] is not None
    by_header = send("Reset", RESET, extra={"Queue-TTL": "30"})
    assert by_header.json["status"] == "Queued"


def test_async_preference_answers_202_with_the_location_while_the_command_waits(send):
    reply = send("Reset", RESET, queue_ttl=60, extra={"Prefer": "respond-async"})

    assert (reply.status_code, reply.json["status"]) == (202, "Queued")
    assert reply.headers["Preference-Applied"] == "respond-async"
    assert reply.headers["Location"] == f"/api/commands/{reply.json['id']}"


def test_async_preference_answers_200_when_the_outcome_is_already_final(send):
    reply = send("Reset", RESET, extra={"Prefer": "respond-async"})

    assert (reply.status_code, reply.json["status"]) == (200, "Offline")
    assert reply.headers["Preference-Applied"] == "respond-async"
    assert reply.headers["Location"] == f"/api/commands/{reply.json['id']}"


def test_same_idempotency_key_returns_the_same_command(app, send):
    first = send("Reset", RESET, extra={"Idempotency-Key": "k-1"})
    again = send("Reset", RESET, extra={"Idempotency-Key": "k-1"})

    assert first.json["id"] == again.json["id"]
    assert command_count(app) == 1
    queued = send("Reset", RESET, extra={"Idempotency-Key": "k-2"}, queue_ttl=60)
    queued_again = send("Reset", RESET, extra={"Idempotency-Key": "k-2"}, queue_ttl=60)
    assert (queued_again.status_code, queued_again.json["id"]) == (202, queued.json["id"])
    other = send("Reset", {"type": "Hard"}, extra={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert send("Reset", RESET, extra={"Idempotency-Key": "has space"}).status_code == 422


def test_commands_are_listed_newest_first_and_shown_one_by_one(client, auth, send):
    first = send("Reset", RESET).json
    second = send("ClearCache").json
    viewer = auth(Role.VIEWER)

    listed = client.get("/api/commands/", headers=viewer)
    assert [c["id"] for c in listed.json] == [second["id"], first["id"]]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 2
    only_resets = client.get("/api/commands/?action=Reset&charger=CP-1", headers=viewer)
    assert [c["id"] for c in only_resets.json] == [first["id"]]
    shown = client.get(f"/api/commands/{first['id']}", headers=viewer)
    assert (shown.status_code, shown.json["status"]) == (200, "Offline")
    assert client.get("/api/commands/no-such-id", headers=viewer).status_code == 404
    assert client.get("/api/commands/bad%00id", headers=viewer).status_code == 404


def test_send_command_remote_start_goes_through_the_relay(client, auth, charger):
    url = "/api/chargers/CP-1/send-command/"
    body = {
        "command": {
            "action": "StartRemoteTransaction",
            "req_data": {"connectorId": 1, "idTag": "TAG", "meterStart": 10},
        }
    }
    reply = client.post(url, json=body, headers=auth(Role.OPERATOR))

    assert reply.status_code == 200
    assert reply.json["status"] == "Offline" and reply.json["command_id"]
    missing = {"command": {"action": "StopRemoteTransaction", "req_data": {}}}
    refused = client.post(url, json=missing, headers=auth(Role.OPERATOR))
    assert refused.status_code == 400
    assert refused.json["errors"]["req_data"][0]["message"] == (
        "'transactionId' is a required property"
    )


def test_event_stream_opens_with_a_ticket_and_streams_events(app, client, auth, charger):
    assert client.get("/api/events").status_code == 401
    ticket = client.post("/api/events/ticket/", headers=auth(Role.VIEWER)).json["ticket"]
    reply = client.get(f"/api/events?ticket={ticket}&charger=CP-1", buffered=False)
    assert reply.status_code == 200 and reply.mimetype == "text/event-stream"
    chunks = iter(reply.response)
    assert ": subscribed" in next(chunks).decode()

    relay(app).transport.publish_event(event(EventType.CHARGER, "CP-2", status="Connected"))
    relay(app).transport.publish_event(event(EventType.CHARGER, "CP-1", status="Connected"))
    chunk = next(chunks).decode()
    reply.close()

    assert chunk.startswith("event: charger\ndata: ")
    data = json.loads(chunk.split("data: ", 1)[1])
    assert (data["charger_id"], data["status"]) == ("CP-1", "Connected")


def test_event_stream_of_zero_seconds_subscribes_and_ends(client, auth):
    reply = client.get("/api/events?max_seconds=0", headers=auth(Role.VIEWER))

    assert reply.status_code == 200
    assert reply.get_data(as_text=True) == "retry: 2000\n: subscribed\n\n"
