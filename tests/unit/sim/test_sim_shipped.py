"""The simulator ships with the service: `python -m sim` runs from the environment
`bin/serve` builds from requirements.txt, and says what the central system lacks."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

from ocpp.v16.enums import RegistrationStatus

from sim.hints import missing_setup
from sim.stats import FleetStats

ROOT = Path(__file__).resolve().parents[3]


def third_party_imports_of_sim() -> set[str]:
    roots = set()
    for path in (ROOT / "sim").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return {root for root in roots if root != "sim" and root not in sys.stdlib_module_names}


def pinned_requirements() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {line.split("==")[0] for line in lines if "==" in line and not line.startswith("#")}


def test_every_library_the_simulator_imports_is_pinned_in_requirements():
    assert third_party_imports_of_sim() == {"ocpp", "websockets"}
    assert {"ocpp", "websockets"} <= pinned_requirements()


def stats_with(events=(), registrations=()) -> FleetStats:
    return FleetStats(events=Counter(dict(events)), registrations=Counter(dict(registrations)))


def test_a_run_that_booted_and_charged_lacks_nothing():
    stats = stats_with({"sessions_started": 2}, {RegistrationStatus.accepted: 1})
    assert missing_setup(stats, ("SIMTAG01",)) == []


def test_an_unknown_charger_id_is_named_with_the_ways_to_create_it():
    [hint] = missing_setup(stats_with({"refused_http_404": 3}), ("SIMTAG01",))
    assert "does not know these charger ids" in hint
    assert "create-chargers" in hint and "OCPP_AUTO_REGISTER=true" in hint


def test_an_id_tag_answered_invalid_is_named_with_the_ways_to_add_it():
    stats = stats_with({"sessions_not_authorized_Invalid": 1}, {RegistrationStatus.accepted: 1})
    [hint] = missing_setup(stats, ("MYTAG",))
    assert "idTag MYTAG Invalid" in hint and "POST /api/id-tags/" in hint


def test_chargers_left_pending_and_refused_credentials_are_named():
    stats = stats_with({"refused_http_401": 1}, {RegistrationStatus.pending: 2})
    hints = missing_setup(stats, ("SIMTAG01",))
    assert len(hints) == 2
    assert "--auth-key" in hints[0] and "registration_status" in hints[1]
