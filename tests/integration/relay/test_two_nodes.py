"""Two web nodes, one PostgreSQL, one Redis: commands find the charger's node, and every
fault still ends each command in exactly one recorded outcome."""

from __future__ import annotations

import pytest
import redis
from ocpp.exceptions import GenericError
from ocpp.v16 import call_result
from sqlalchemy import select

from adapters.presence import presence_key
from adapters.relay.redis_transport import node_channel
from domain.models import Direction, OcppMessage
from domain.services.commands import get_command
from tests.charger import SILENT, Delayed, LiveCharger
from tests.integration.relay.conftest import relay_node
from tests.ocpp_client import eventually, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

RESET = {"type": "Hard"}


def outcome(db, command_id: str):
    with db.unit_of_work() as session:
        return get_command(session, command_id)


def sent_to(charger: LiveCharger, command_id: str) -> list[str]:
    return [action for unique_id, action, _ in charger.received if unique_id == command_id]


def test_command_through_node_b_reaches_the_charger_on_node_a(node_a, api_b, cluster_db):
    name = register_charger(cluster_db, "relay-ab")
    with LiveCharger(node_a.ws_url(name), name) as charger:
        reply = api_b.command(name, "Reset", RESET)

        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "Accepted"
        assert sent_to(charger, reply.json()["id"]) == ["Reset"]
    assert outcome(cluster_db, reply.json()["id"]).response == {"status": "Accepted"}


def test_routing_follows_the_charger_to_the_other_node(node_a, node_b, api_a, api_b, cluster_db):
    name = register_charger(cluster_db, "relay-move")
    with LiveCharger(node_a.ws_url(name), name) as on_a:
        first = api_b.command(name, "ClearCache").json()
        assert sent_to(on_a, first["id"]) == ["ClearCache"]
    with LiveCharger(node_b.ws_url(name), name) as on_b:
        second = api_a.command(name, "ClearCache").json()
        assert sent_to(on_b, second["id"]) == ["ClearCache"]
    assert (first["status"], second["status"]) == ("Accepted", "Accepted")


def test_charger_answering_with_a_callerror_ends_in_call_error(node_a, api_b, cluster_db):
    name = register_charger(cluster_db, "relay-err")
    with LiveCharger(node_a.ws_url(name), name) as charger:
        charger.cp.answers["Reset"] = GenericError(description="relay busy")
        body = api_b.command(name, "Reset", RESET).json()

    assert (body["status"], body["error_code"], body["error_description"]) == (
        "CallError",
        "GenericError",
        "relay busy",
    )
    assert body["response"] is None


def test_charger_that_never_answers_ends_in_timeout(node_a, api_b, cluster_db):
    name = register_charger(cluster_db, "relay-mute")
    with LiveCharger(node_a.ws_url(name), name) as charger:
        charger.cp.answers["Reset"] = SILENT
        body = api_b.command(name, "Reset", RESET).json()

        assert (body["status"], body["final"]) == ("Timeout", True)
        assert sent_to(charger, body["id"]) == ["Reset"]


def test_answer_after_the_timeout_does_not_replace_it(node_a, api_b, cluster_db):
    name = register_charger(cluster_db, "relay-late")
    with LiveCharger(node_a.ws_url(name), name) as charger:
        charger.cp.answers["Reset"] = Delayed(3, call_result.Reset(status="Accepted"))
        body = api_b.command(name, "Reset", RESET).json()
        assert body["status"] == "Timeout"

        def late_answer_arrived():
            with cluster_db.unit_of_work() as session:
                return session.scalar(
                    select(OcppMessage.id).where(
                        OcppMessage.unique_id == body["id"],
                        OcppMessage.direction == Direction.IN,
                        OcppMessage.message_type == 3,
                    )
                )

        eventually(late_answer_arrived)
    assert outcome(cluster_db, body["id"]).status == "Timeout"


def test_killed_node_leaves_commands_offline_and_in_flight_ones_timed_out(
    cluster_database_url, private_redis, api_b, cluster_db
):
    name = register_charger(cluster_db, "relay-kill")
    presence = redis.Redis.from_url(private_redis.url)
    with relay_node(cluster_database_url, private_redis.url, "relay-node-c") as node_c:
        with LiveCharger(node_c.ws_url(name), name) as charger:
            charger.cp.answers["Reset"] = SILENT
            in_flight = api_b.command(name, "Reset", RESET, headers={"Prefer": "respond-async"})
            assert in_flight.status_code == 202
            eventually(lambda: sent_to(charger, in_flight.json()["id"]))
            node_c.kill()

            right_after = api_b.command(name, "ClearCache").json()
            assert right_after["status"] == "Offline"
            eventually(lambda: presence.get(presence_key(name)) is None, timeout=30)
            after_ttl = api_b.command(name, "ClearCache").json()
            assert after_ttl["status"] == "Offline"

    def in_flight_outcome():
        status = api_b.get(f"/api/commands/{in_flight.json()['id']}").json()["status"]
        return status if status not in ("Pending", "Sent") else None

    assert eventually(in_flight_outcome, timeout=40) == "Timeout"
    presence.close()


def test_commands_work_again_after_redis_restarts(node_a, api_b, private_redis, cluster_db):
    name = register_charger(cluster_db, "relay-redis")
    with LiveCharger(node_a.ws_url(name), name) as charger:
        assert api_b.command(name, "Reset", RESET).json()["status"] == "Accepted"
        before = redis.Redis.from_url(private_redis.url)
        run_before = before.info("server")["run_id"]
        before.close()

        private_redis.restart()
        fresh = redis.Redis.from_url(private_redis.url)
        assert fresh.info("server")["run_id"] != run_before

        def relay_restored():
            holder = fresh.get(presence_key(name))
            subscribers = dict(fresh.pubsub_numsub(node_channel(node_a.node_id)))
            return holder == node_a.node_id.encode() and subscribers.get(
                node_channel(node_a.node_id).encode()
            )

        eventually(relay_restored, timeout=30)
        fresh.close()
        later = api_b.command(name, "Reset", RESET).json()

        assert later["status"] == "Accepted"
        assert sent_to(charger, later["id"]) == ["Reset"]
