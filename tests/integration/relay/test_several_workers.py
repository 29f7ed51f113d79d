"""One server, two gunicorn workers, a given NODE_ID: each worker is a relay node of its own
(`<NODE_ID>-<suffix>`), presence names the worker holding each socket, and a command sent
through whichever worker answers the REST call reaches the charger."""

from __future__ import annotations

import uuid
from contextlib import ExitStack, closing

import pytest
import redis
import requests

from adapters.presence import presence_key
from tests.charger import LiveCharger
from tests.e2e.dashboard.test_metrics_live import operator_token
from tests.live_server import postgres_live_server
from tests.services import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CHARGERS = ("charger_1", "charger_2", "charger_3")
COMMANDS_EACH = 4  # REST calls land on either worker


def test_each_worker_is_a_node_and_commands_reach_chargers_on_either(redis_url):
    node = f"web-{uuid.uuid4().hex[:6]}"
    env = {"REDIS_URL": require_redis(), "NODE_ID": node, "CELERY_KEY_PREFIX": f"{node}:"}
    with (
        closing(redis.Redis.from_url(env["REDIS_URL"])) as client,
        postgres_live_server(env, workers=2) as server,
    ):
        token = operator_token(server)
        with ExitStack() as chargers:
            for name in CHARGERS:
                chargers.enter_context(LiveCharger(server.ws_url(name), name))
            holders = {client.get(presence_key(name)).decode() for name in CHARGERS}
            assert all(holder.startswith(f"{node}-") for holder in holders), holders
            statuses = [
                requests.post(
                    f"{server.base_url}/api/chargers/{name}/commands/Reset",
                    json={"type": "Soft"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                ).json()["status"]
                for name in CHARGERS
                for _ in range(COMMANDS_EACH)
            ]
    assert statuses == ["Accepted"] * len(CHARGERS) * COMMANDS_EACH
