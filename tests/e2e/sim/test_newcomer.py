"""A newcomer's first run, as the README tells it: the embedded server set up by the commands
`bin/serve` runs (migrations, `create-chargers`, `create-user`), then `python -m sim` with its
default charger ids and idTag, charges for real; and when something is missing it says what."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import requests

from domain.settings import PROJECT_ROOT
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def simulate(server: LiveServer, *args: str) -> subprocess.CompletedProcess:
    url = f"ws://127.0.0.1:{server.port}/ocpp/"
    return subprocess.run(
        [sys.executable, "-m", "sim", "--url", url, "--json", "--progress-interval", "0", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_simulator_defaults_charge_on_a_fresh_embedded_server(server):
    output = server.flask("create-user")
    access = re.search(r"^JWT Access Token >>>>   (\S+)$", output, re.M).group(1)
    # Only the run's length is shortened; charger id, connectors and idTag are the defaults.
    result = simulate(server, "--duration", "5", "--session-rate", "4", "--session-duration", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "missing:" not in result.stderr
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["registrations"] == {"Accepted": 1}
    completed = summary["events"]["sessions_completed"]
    assert completed >= 1 and completed == summary["events"]["sessions_started"]

    transactions = requests.get(
        f"{server.base_url}/api/transactions/",
        params={"charger": "charger_1"},
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    ).json()
    assert len(transactions) == completed
    assert {(t["id_tag"], t["status"]) for t in transactions} == {("SIMTAG01", "Completed")}


def test_an_unknown_charger_id_is_explained(server):
    result = simulate(server, "--id", "nobody-here", "--duration", "2")
    assert result.returncode == 1
    assert "missing: the central system does not know these charger ids" in result.stderr
