"""GET /api/events across nodes: a dashboard on node B sees what happens on node A's socket."""

from __future__ import annotations

import json
import time

import pytest
import requests
from ocpp.v16 import call

from tests.charger import LiveCharger
from tests.ocpp_client import register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

READ_TIMEOUT = 20


class EventStream:
    """A server-sent events reader; `next_event()` returns (type, data)."""

    def __init__(self, url: str, token: str, **params):
        self.response = requests.get(
            url,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=READ_TIMEOUT,
        )
        self.response.raise_for_status()
        self.lines = self.response.iter_lines(decode_unicode=True)
        # The server subscribes before it writes its first comment.
        for line in self.lines:
            if line == ": subscribed":
                break

    def next_event(self) -> tuple[str, dict]:
        deadline = time.monotonic() + READ_TIMEOUT
        kind = None
        for line in self.lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind is not None:
                return kind, json.loads(line.removeprefix("data: "))
            if time.monotonic() > deadline:
                break
        raise AssertionError("no event arrived")

    def close(self) -> None:
        self.response.close()


def test_dashboard_on_one_node_sees_the_other_nodes_charger(node_a, node_b, api_a, cluster_db):
    name = register_charger(cluster_db, "relay-events")
    stream = EventStream(f"{node_b.base_url}/api/events", api_a.token, charger=name)
    try:
        with LiveCharger(node_a.ws_url(name), name) as charger:
            charger.call(
                call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
            )
            command = api_a.command(name, "Reset", {"type": "Soft"}).json()
            started = charger.call(
                call.StartTransaction(
                    connector_id=1, id_tag="EV-1", meter_start=0, timestamp="2030-01-01T00:00:00Z"
                )
            )
            charger.call(
                call.StopTransaction(
                    transaction_id=started.transaction_id,
                    meter_stop=500,
                    timestamp="2030-01-01T01:00:00Z",
                )
            )
        events = [stream.next_event() for _ in range(7)]
    finally:
        stream.close()

    summary = [
        (kind, data.get("status"), data.get("command_id") or data.get("transaction_id"))
        for kind, data in events
    ]
    assert summary == [
        ("charger", "Connected", None),
        ("charger", "Connected", None),  # BootNotification answered
        ("connector", "OCCUPIED", None),
        ("command", "Accepted", command["id"]),
        ("transaction", "Active", started.transaction_id),
        ("transaction", "Completed", started.transaction_id),
        ("charger", "Disconnected", None),
    ]
    assert {data["charger_id"] for _, data in events} == {name}
    assert events[1][1]["registration_status"] == "Accepted"
    assert events[2][1]["ocpp_status"] == "Preparing"
