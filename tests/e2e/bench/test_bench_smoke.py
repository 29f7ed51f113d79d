"""Small runs of benchmark scenarios 1, 3 and 6, each through its one documented command.

No timing is asserted (performance lives in bench/ as ratios): these prove that each command
starts its servers the production way, drives them, prints every figure and ratio, checks
what it must check, and leaves no process behind.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.processes import alive
from domain.settings import PROJECT_ROOT
from tests.services import create_postgres_database, drop_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def services_reachable():
    """Skip (or, under CI, fail) here rather than inside the scenario's own process."""
    drop_postgres_database(create_postgres_database())


def run_scenario(module: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", module, "--json", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["started_pids"], "the scenario names the server processes it started"
    assert not [pid for pid in report["started_pids"] if alive(pid)]
    return report


def test_heartbeat_scenario_measures_voltline_against_every_baseline(redis_url):
    report = run_scenario("bench.heartbeat", "--clients", "4", "--seconds", "1", "--warmup", "0.2")
    figures = report["figures"]
    for server in ("voltline", "bare", "chargepoint", "flasksock"):
        assert figures[f"{server} heartbeats/s"] > 0
        assert figures[f"{server} p99"] >= figures[f"{server} p50"] > 0
    assert set(report["ratios"]) == {
        "voltline / bare websockets",
        "voltline / ocpp ChargePoint",
        "voltline / Flask-Sock hand-reply floor",
    }
    assert all(ratio > 0 for ratio in report["ratios"].values())
    assert len(report["targets"]) == 2


@pytest.mark.parametrize("offered", [[], ["--rate", "20"]], ids=["closed-loop", "open-loop"])
def test_transaction_scenario_commits_every_acknowledged_pair(redis_url, offered):
    report = run_scenario(
        "bench.transactions", "--chargers", "3", "--seconds", "1", "--warmup", "0.2", *offered
    )
    figures = report["figures"]
    assert figures["pairs acknowledged"] > 0
    assert figures["Completed rows in PostgreSQL"] == figures["pairs acknowledged"]
    assert figures["other rows"] == 0
    assert report["targets"]["every acknowledged pair is one Completed row"] is True
    assert figures["SQL ceiling pairs/s"] > 0
    assert report["ratios"]["voltline / SQL ceiling"] > 0


def test_disconnect_storm_scenario_finds_every_dropped_charger_released_and_disconnected():
    report = run_scenario(
        "bench.disconnect",
        *("--chargers", "30", "--steady", "5", "--seconds", "2", "--settle", "2"),
    )
    figures = report["figures"]
    assert figures["storm sockets dropped"] == 30
    assert figures["steady heartbeats answered"] > 0
    # What the scenario checks after the storm, on a run too small to strain anything.
    assert report["targets"]["no stale presence after the storm (issue 13)"] is True
    assert report["targets"]["every dropped charger Disconnected"] is True
