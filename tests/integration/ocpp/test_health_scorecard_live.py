"""Charger health on a live server: a charger that misbehaves in every way the scorecard knows
(malformed calls, a second socket with its identity, a skewed clock, a meter going backwards)
has each fault counted with its deduction and ranks below a charger that behaves."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import requests
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from domain.clock import to_wire, utcnow
from domain.services.health import refresh_rollups
from tests.ocpp_client import charger, eventually, exchange, raw_socket, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

VIEWER = ("health-viewer", "viewer-password-1")
SKEW = timedelta(hours=1)


@pytest.fixture(scope="module")
def viewer(live_server) -> dict[str, str]:
    live_server.flask(
        "create-user", "--username", VIEWER[0], "--password", VIEWER[1], "--role", "viewer"
    )
    answer = requests.post(
        live_server.base_url + "/api/token/",
        json={"username": VIEWER[0], "password": VIEWER[1]},
        timeout=10,
    )
    return {"Authorization": f"Bearer {answer.json()['access']}"}


def scorecard(server, headers, name: str) -> dict:
    answer = requests.get(
        f"{server.base_url}/api/chargers/{name}/health/", headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def boot(cp) -> None:
    await cp.call(call.BootNotification(charge_point_vendor="Volt", charge_point_model="Test"))


async def misbehave(server, name: str) -> None:
    async with charger(server.ws_url(name)) as first:
        await boot(first)
        skewed = to_wire(utcnow() + SKEW)
        await first.call(
            call.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus.charging,
                timestamp=skewed,
            )
        )
        started = await first.call(
            call.StartTransaction(
                connector_id=1, id_tag="HEALTH", meter_start=0, timestamp=to_wire(utcnow())
            )
        )
        for seconds_ago, reading in ((2, "5000"), (1, "4000")):  # the register goes backwards
            at = to_wire(utcnow() - timedelta(seconds=seconds_ago))
            await first.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=started.transaction_id,
                    meter_value=[{"timestamp": at, "sampledValue": [{"value": reading}]}],
                )
            )
        # A second box with the same identity takes the first one's place.
        async with raw_socket(server.ws_url(name)) as second:
            not_json = await exchange(second, "this is not JSON")
            incomplete = await exchange(
                second, '[2,"boot-2","BootNotification",{"chargePointVendor":"Volt"}]'
            )
    assert not_json[2] == "FormationViolation"
    assert incomplete[2] == "OccurenceConstraintViolation"


async def behave(server, name: str, until_checked: asyncio.Event) -> None:
    async with charger(server.ws_url(name)) as cp:
        await boot(cp)
        await cp.call(
            call.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus.available,
                timestamp=to_wire(utcnow()),
            )
        )
        await cp.call(call.Heartbeat())
        await until_checked.wait()


def test_misbehaving_charger_has_each_fault_deducted_and_ranks_below_one_that_behaves(
    live_server, live_db, viewer
):
    flaky = register_charger(live_db, "health-flaky")
    good = register_charger(live_db, "health-good")
    run(misbehave(live_server, flaky))
    # CALLERRORs are written behind (within a second): wait for them too.
    card = eventually(
        lambda: (
            (found := scorecard(live_server, viewer, flaky))["connections"]["replaced"]
            and sum(found["protocol_errors"]["by_code"].values()) >= 2
            and found
        )
    )

    deductions = {d["reason"]: (d["points"], d["count"]) for d in card["deductions"]}
    assert deductions["replaced_connections"] == (10, 1)
    assert deductions["malformed_calls"] == (6, 2)
    assert deductions["refused_frames"] == (2, 1)
    assert deductions["skewed_clock_readings"] == (5, 1)
    assert deductions["meter_anomalies"] == (10, 1)
    assert [d["points"] for d in card["deductions"]] == sorted(
        (d["points"] for d in card["deductions"]), reverse=True
    )
    assert card["score"] == 100 - sum(d["points"] for d in card["deductions"])
    assert card["connections"] == {"opened": 2, "replaced": 1, "dropped": 0}
    assert card["protocol_errors"] == {
        "by_code": {"FormationViolation": 1, "OccurenceConstraintViolation": 1},
        "refused_frames": 1,
    }
    assert card["boots"] == {"count": 2, "reasons": {"Unknown": 2}}
    assert card["clock_skew_seconds"]["worst"] == pytest.approx(SKEW.total_seconds(), abs=30)
    assert card["meter_anomalies"]["backwards_readings"] == 1

    async def good_charger_checked():
        checked = asyncio.Event()
        session = asyncio.create_task(behave(live_server, good, checked))
        await asyncio.to_thread(
            eventually,
            lambda: (
                scorecard(live_server, viewer, good)["heartbeat"]["expected_interval_seconds"]
                and scorecard(live_server, viewer, good)["connections"]["opened"]
            ),
        )
        with live_db.unit_of_work() as session_db:
            refresh_rollups(session_db, now=utcnow(), heartbeat_interval=300)
        good_card = await asyncio.to_thread(scorecard, live_server, viewer, good)
        ranking = await asyncio.to_thread(
            requests.get,
            f"{live_server.base_url}/api/chargers/health/",
            params={"search": "health-"},
            headers=viewer,
            timeout=10,
        )
        checked.set()
        await session
        return good_card, ranking

    good_card, ranking = run(good_charger_checked())
    assert {d["reason"] for d in good_card["deductions"]} <= {"unavailable_seconds"}
    assert good_card["score"] > card["score"]
    assert ranking.status_code == 200, ranking.text
    ranked = [entry["charger"] for entry in ranking.json()]
    assert ranked.index(flaky) < ranked.index(good)
    assert ranking.json()[ranked.index(flaky)]["top_deduction"]["points"] >= 10
