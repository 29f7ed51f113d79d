"""The same-node shortcut: a command to a charger whose socket is on the very node that takes
the request goes out on that socket and comes back in-process, with no broker round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.models import Direction, OcppMessage
from domain.services.commands import get_command
from tests.charger import LiveCharger
from tests.integration.relay.conftest import OPERATOR, Api, PrivateRedis, relay_node
from tests.ocpp_client import register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_a_command_to_a_charger_on_the_same_node_needs_no_broker(cluster_database_url, cluster_db):
    redis_server = PrivateRedis()
    redis_server.start()
    try:
        with relay_node(cluster_database_url, redis_server.url, "relay-node-same") as node:
            api = Api(node, OPERATOR)
            name = register_charger(cluster_db, "relay-same")
            with LiveCharger(node.ws_url(name), name) as charger:
                redis_server.stop()  # no presence, no pub/sub, no reply lists from here on
                reply = api.command(name, "ClearCache")

                assert reply.status_code == 200, reply.text
                body = reply.json()
                assert body["status"] == "Accepted"
                assert [a for uid, a, _ in charger.received if uid == body["id"]] == ["ClearCache"]
    finally:
        redis_server.close()
    with cluster_db.unit_of_work() as session:
        command = get_command(session, body["id"])
        logged = session.execute(
            select(OcppMessage.direction).where(OcppMessage.unique_id == body["id"])
        ).scalars()
        directions = sorted(logged)
    assert (command.status, command.response) == ("Accepted", {"status": "Accepted"})
    assert command.sent_at is not None and command.completed_at is not None
    assert directions == sorted([Direction.IN, Direction.OUT])
