"""GET /metrics on a production-shaped server (gunicorn with two gevent workers, PostgreSQL,
Redis, a real Celery worker) after a real charger's session: every counter moved by exactly
what happened, whichever worker answers the scrape."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
import redis
import requests
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointStatus
from prometheus_client.parser import text_string_to_metric_families

from domain.settings import PROJECT_ROOT
from tests.charger import LiveCharger
from tests.live_server import postgres_live_server
from tests.ocpp_client import eventually, exchange, raw_socket
from tests.services import require_redis

METRICS_TOKEN = "metrics-test-token"
OPERATOR = ("metrics-operator", "operator-password-1")
# Charger presence keys are not prefixed: a database of their own keeps other tests' out.
REDIS_DATABASE = 11
SCRAPES = 6  # enough that both gunicorn workers answer some of them


@pytest.fixture
def redis_env():
    base = require_redis().rsplit("/", 1)[0]
    url = f"{base}/{REDIS_DATABASE}"
    prefix = f"voltline-metrics-{uuid.uuid4().hex[:10]}:"
    # NODE_ID empty: each gunicorn worker is a relay node with its own generated id.
    yield {
        "REDIS_URL": url,
        "CELERY_KEY_PREFIX": prefix,
        "METRICS_TOKEN": METRICS_TOKEN,
        "NODE_ID": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",  # answered calls are logged per frame, at DEBUG
    }
    client = redis.Redis.from_url(url)
    keys = [*client.scan_iter(f"{prefix}*"), *client.scan_iter("voltline:presence:*")]
    if keys:
        client.delete(*keys)
    client.close()


def scrape(server) -> dict[tuple[str, frozenset], float]:
    answer = requests.get(
        server.base_url + "/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(scraped, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def received(scraped, action: str, answer: str = "CALLRESULT") -> float:
    return value(scraped, "voltline_ocpp_messages_received_total", action=action, answer=answer)


def handled(scraped, action: str) -> float:
    return value(scraped, "voltline_ocpp_handler_seconds_count", action=action)


def operator_token(server) -> str:
    server.flask(
        "create-user", "--username", OPERATOR[0], "--password", OPERATOR[1], "--role", "operator"
    )
    answer = requests.post(
        server.base_url + "/api/token/",
        json={"username": OPERATOR[0], "password": OPERATOR[1]},
        timeout=10,
    )
    return answer.json()["access"]


async def send_unknown_action(url: str) -> list:
    async with raw_socket(url) as ws:
        return await exchange(ws, json.dumps([2, "nope-1", "FlyToTheMoon", {}]))


def run_charging_session(charger: LiveCharger, server) -> int:
    charger.boot()
    charger.status(1, ChargePointStatus.available)
    charger.call(call.Heartbeat())
    charger.call(call.Authorize(id_tag="METRICS-TAG"))
    started = charger.start(1, "METRICS-TAG", meter_start=10_000)
    charger.meter(1, started.transaction_id, 11_000)
    charger.meter(1, started.transaction_id, 12_500)
    during = scrape(server)
    assert value(during, "voltline_active_transactions") == 1
    assert value(during, "voltline_connected_chargers") == 1
    assert value(during, "voltline_charger_sockets") == 1
    charger.stop(started.transaction_id, meter_stop=13_000)
    charger.status(1, ChargePointStatus.available)
    return started.transaction_id


def start_celery_worker(server) -> subprocess.Popen:
    log = open(server.instance_path / "celery.log", "ab")  # noqa: SIM115 - lives with the worker
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tasks",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=PROJECT_ROOT,
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_counters_moved_by_exactly_what_one_charging_session_did(redis_env):
    with postgres_live_server(redis_env, workers=2) as server:
        token = operator_token(server)
        before = scrape(server)
        assert received(before, "BootNotification") == 0
        assert value(before, "voltline_connected_chargers") == 0

        with LiveCharger(server.ws_url("charger_1"), "charger_1", boot=False) as charger:
            transaction_id = run_charging_session(charger, server)
            refused = asyncio.run(send_unknown_action(server.ws_url("charger_2")))
            assert refused[:3] == [4, "nope-1", "NotImplemented"]
            reset = requests.post(
                server.base_url + "/api/chargers/charger_1/commands/Reset",
                json={"type": "Soft"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            assert reset.json()["status"] == "Accepted", reset.text

        worker = start_celery_worker(server)
        try:
            eventually(
                lambda: requests.get(
                    f"{server.base_url}/api/transactions/{transaction_id}/",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                ).json()["energy_consumed_kWh"],
                timeout=60,
            )
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
        eventually(lambda: value(scrape(server), "voltline_connected_chargers") == 0)

        scrapes = [scrape(server) for _ in range(SCRAPES)]
        after = scrapes[0]
        assert all(other == after for other in scrapes[1:])  # every worker tells the same
        expected_calls = {
            "BootNotification": 1,
            "StatusNotification": 2,
            "Heartbeat": 1,
            "Authorize": 1,
            "StartTransaction": 1,
            "MeterValues": 2,
            "StopTransaction": 1,
        }
        for action, count in expected_calls.items():
            assert received(after, action) == count, action
            assert handled(after, action) == count, action
        assert received(after, "unknown", "NotImplemented") == 1
        assert value(after, "voltline_boot_notifications_total", status="Accepted") == 1
        assert value(after, "voltline_commands_total", action="Reset", outcome="Accepted") == 1
        assert value(after, "voltline_active_transactions") == 0
        assert value(after, "voltline_charger_sockets") == 0
        tasks = "voltline_celery_tasks_total"
        assert value(after, tasks, task="finalize_session", state="sent") == 1
        assert value(after, tasks, task="finalize_session", state="succeeded") == 1
        assert value(after, tasks, task="finalize_session", state="failed") == 0

        events = json_log_lines(server.log_text())
        start = one(events, "ocpp call answered", action="StartTransaction")
        assert start["charger_id"] == "charger_1" and start["outcome"] == "conf"
        assert start["unique_id"] and start["duration_ms"] >= 0
        refused = one(events, "ocpp bad frame", unique_id="nope-1")
        assert refused["charger_id"] == "charger_2" and refused["outcome"] == "NotImplemented"
        outcome = one(events, "command outcome", action="Reset")
        assert outcome["charger_id"] == "charger_1" and outcome["outcome"] == "Accepted"
        assert outcome["unique_id"] == reset.json()["id"]


def json_log_lines(text: str) -> list[dict]:
    """The server's structured events (gunicorn's own start-up lines are plain text)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def one(events: list[dict], message: str, **fields) -> dict:
    matching = [
        event
        for event in events
        if event["message"] == message and all(event.get(k) == v for k, v in fields.items())
    ]
    assert len(matching) == 1, (message, fields, matching)
    return matching[0]
