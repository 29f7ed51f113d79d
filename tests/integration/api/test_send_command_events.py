"""send-command goes through the charger socket's own pipeline: what it changes reaches the
dashboards' event stream exactly as a charger's own message would."""

from __future__ import annotations

import json

from tests.integration.api.conftest import with_req_data
from tests.integration.api.test_send_command import START, STOP


def stream_events(api, token: str, **query):
    """Open GET /api/events; returns a function reading the next (type, data) event."""
    params = "&".join(f"{key}={value}" for key, value in query.items())
    response = api.get(
        f"/api/events?{params}", headers={"Authorization": f"Bearer {token}"}, buffered=False
    )
    assert response.status_code == 200
    chunks = iter(response.response)
    assert ": subscribed" in next(chunks).decode()

    def next_event() -> tuple[str, dict]:
        for chunk in chunks:
            text = chunk.decode()
            if text.startswith("event: "):
                kind, data = text.strip().split("\n")
                return kind.removeprefix("event: "), json.loads(data.removeprefix("data: "))
        raise AssertionError("the stream ended without an event")

    return response, next_event


def test_a_stop_transaction_sent_through_send_command_appears_on_the_event_stream(
    send, api, tokens
):
    response, next_event = stream_events(
        api, tokens["viewer"][0], charger="charger_1", types="transaction", max_seconds=60
    )
    try:
        transaction_id = send(START).get_json()["transactionId"]
        assert send(with_req_data(STOP, transactionId=transaction_id)).status_code == 200
        started, stopped = next_event(), next_event()
    finally:
        response.close()

    assert started[0] == stopped[0] == "transaction"
    assert {k: started[1][k] for k in ("charger_id", "transaction_id", "status", "id_tag")} == {
        "charger_id": "charger_1",
        "transaction_id": transaction_id,
        "status": "Active",
        "id_tag": "1234567890AB",
    }
    assert {k: stopped[1][k] for k in ("charger_id", "transaction_id", "status", "reason")} == {
        "charger_id": "charger_1",
        "transaction_id": transaction_id,
        "status": "Completed",
        "reason": None,
    }


def test_a_refused_send_command_publishes_nothing(send, api, tokens):
    response, next_event = stream_events(api, tokens["viewer"][0], max_seconds=0)
    try:
        bad = {"command": {"action": "StopTransaction", "req_data": {"transactionId": "one"}}}
        assert send(bad).status_code == 400
        remaining = b"".join(response.response).decode()
    finally:
        response.close()
    assert "event:" not in remaining
