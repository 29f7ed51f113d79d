"""GET /api/chargers/{name}/health/, its timeline, /api/chargers/health/ and a transaction's
energy: windows, errors, routes that do not clash, and rollups that read like the raw rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import utcnow
from domain.models import Direction, SocketEventKind
from domain.services.charger_calls import CallContext, answer_charger_call
from domain.services.chargers import get_charger
from domain.services.health import charger_scorecard, roll_up_health, start_of_day
from domain.services.message_log import frame_row, record_frames
from domain.services.retention import prune_message_log
from domain.services.socket_events import SocketEnd, record_socket_ends, socket_opened
from tests.integration.api.conftest import assert_error
from web.extensions import database

CHARGER = "charger_1"


def charger_says(app, action: str, payload: dict, at) -> dict:
    with database(app).unit_of_work() as session:
        context = CallContext(now=at, heartbeat_interval=300)
        return answer_charger_call(session, get_charger(session, CHARGER), action, payload, context)


def exchange_logged(app, at, action: str, payload, answer_type: int, answer) -> None:
    """A CALL and our answer to it, in the message log as the socket logs them."""
    rows = [
        frame_row(charger_name=CHARGER, direction=Direction.IN, message_type=2, unique_id="x",
                  action=action, payload=payload, at=at),
        frame_row(charger_name=CHARGER, direction=Direction.OUT, message_type=answer_type,
                  unique_id="x", action=action, payload=answer, at=at),
    ]  # fmt: skip
    with database(app).unit_of_work() as session:
        record_frames(session, rows)


def refused_call(app, at, code: str) -> None:
    exchange_logged(app, at, "StatusNotification", {"bad": 1}, 4, [code, "bad", {}])


def socket_session(app, opened, closed, ended: SocketEventKind) -> None:
    with database(app).unit_of_work() as session:
        socket_opened(session, get_charger(session, CHARGER).id, opened, "node-a")
        record_socket_ends(session, [SocketEnd(CHARGER, ended, closed, "socket closed")])


@pytest.fixture
def two_days_ago(seeded):
    """charger_1's troubles two days ago: a dropped socket, two refused calls, a late
    heartbeat and a boot; returns the start of that UTC day."""
    day = start_of_day(utcnow()) - timedelta(days=2)
    with database(seeded).unit_of_work() as session:
        get_charger(session, CHARGER).created_at = day  # registered before its troubles
    socket_session(seeded, day + timedelta(hours=1), day + timedelta(hours=7), "dropped")
    refused_call(seeded, day + timedelta(hours=2), "FormationViolation")
    refused_call(seeded, day + timedelta(hours=3), "TypeConstraintViolation")
    boot = {"chargePointVendor": "V", "chargePointModel": "M"}
    exchange_logged(seeded, day + timedelta(hours=1), "BootNotification", boot, 3, {})
    for minutes in (70, 75, 95):  # 5 then 20 minutes apart: one late for a 300 s interval
        exchange_logged(seeded, day + timedelta(minutes=minutes), "Heartbeat", {}, 3, {})
    return day


def scorecard_at(app, now) -> dict:
    with database(app).unit_of_work() as session:
        return charger_scorecard(session, CHARGER, hours=72, now=now, heartbeat_interval=300)


def test_scorecard_reads_the_same_from_a_rollup_after_the_raw_frames_are_pruned(
    api, auth, seeded, two_days_ago
):
    now = utcnow()
    raw = scorecard_at(seeded, now)
    with database(seeded).unit_of_work() as session:
        written = roll_up_health(session, day_start=two_days_ago, until=now, heartbeat_interval=300)
    assert written == 3  # every seed charger
    with database(seeded).unit_of_work() as session:
        again = roll_up_health(session, day_start=two_days_ago, until=now, heartbeat_interval=300)
    assert again == 3  # replaced, not added to
    with database(seeded).unit_of_work() as session:  # the raw frames are gone: rollup only
        assert prune_message_log(session, two_days_ago + timedelta(days=1), 1000) == 12
    assert scorecard_at(seeded, now) == raw

    answer = api.get(f"/api/chargers/{CHARGER}/health/?hours=72", headers=auth("viewer"))
    assert answer.status_code == 200
    card = answer.get_json()
    assert card["connections"] == {"opened": 1, "replaced": 0, "dropped": 1}
    assert card["protocol_errors"]["by_code"] == {
        "FormationViolation": 1,
        "TypeConstraintViolation": 1,
    }
    assert card["heartbeat"] == {
        "expected_interval_seconds": 300,
        "observed_p95_gap_seconds": 1200.0,
        "late_count": 1,
    }
    assert card["boots"] == {"count": 1, "reasons": {"Unknown": 1}}
    assert 0 < card["availability_percent"] < 100
    assert {d["reason"]: d["count"] for d in card["deductions"]}["malformed_calls"] == 2


def test_fleet_ranking_lists_worst_first_with_paging_and_filters(api, auth, seeded, two_days_ago):
    with database(seeded).unit_of_work() as session:
        roll_up_health(session, day_start=two_days_ago, until=utcnow(), heartbeat_interval=300)
    answer = api.get("/api/chargers/health/?hours=72&page_size=1", headers=auth("viewer"))

    assert answer.status_code == 200
    assert [entry["charger"] for entry in answer.get_json()] == [CHARGER]
    assert answer.get_json()[0]["top_deduction"]["points"] > 0
    assert '"total": 3' in answer.headers["X-Pagination"]
    perfect = api.get("/api/chargers/health/?hours=72&min_score=100", headers=auth("viewer"))
    assert [entry["score"] for entry in perfect.get_json()] == [100, 100]
    assert (
        api.get("/api/chargers/health/?search=_2", headers=auth("viewer")).get_json()[0]["charger"]
        == "charger_2"
    )


@pytest.mark.parametrize("hours", ["0", "721", "a day"])
def test_a_window_outside_one_hour_to_thirty_days_is_refused(api, auth, hours):
    assert_error(
        api.get(f"/api/chargers/{CHARGER}/health/?hours={hours}", headers=auth("viewer")), 422
    )
    assert_error(api.get(f"/api/chargers/health/?hours={hours}", headers=auth("viewer")), 422)


def test_scorecard_and_timeline_of_an_unknown_charger_are_404(api, auth):
    assert_error(api.get("/api/chargers/nobody/health/", headers=auth("viewer")), 404)
    assert_error(api.get("/api/chargers/nobody/health/timeline/", headers=auth("viewer")), 404)


def test_no_charger_can_be_called_health_so_the_ranking_keeps_its_path(api, auth):
    created = api.post("/api/chargers/", json={"name": "health"}, headers=auth("admin"))

    assert_error(created, 422)
    assert isinstance(api.get("/api/chargers/health/", headers=auth("viewer")).get_json(), list)


def test_timeline_shows_connected_segments_and_message_counts(api, auth, seeded, two_days_ago):
    answer = api.get(f"/api/chargers/{CHARGER}/health/timeline/?hours=72", headers=auth("viewer"))

    assert answer.status_code == 200
    timeline = answer.get_json()
    assert [segment["connected"] for segment in timeline["segments"]] == [False, True, False]
    assert sum(timeline["message_rate"]["counts"]) == 2 * 6  # six CALLs, each with its answer


def test_active_transaction_shows_energy_so_far_and_its_energy_series(api, auth, seeded):
    now = utcnow().replace(microsecond=0)
    started = charger_says(
        seeded,
        "StartTransaction",
        {"connectorId": 1, "idTag": "T1", "meterStart": 1000, "timestamp": now.isoformat()},
        now,
    )["transactionId"]
    for minutes, wh in ((1, 1500), (2, 2500), (3, 4000)):
        at = (now + timedelta(minutes=minutes)).isoformat()
        sample = {"timestamp": at, "sampledValue": [{"value": str(wh)}]}
        payload = {"connectorId": 1, "transactionId": started, "meterValue": [sample]}
        charger_says(seeded, "MeterValues", payload, now)

    listed = api.get("/api/transactions/?status=Active", headers=auth("viewer")).get_json()
    series = api.get(f"/api/transactions/{started}/energy/", headers=auth("viewer")).get_json()

    assert [t["energy_so_far_kWh"] for t in listed if t["id"] == started] == [3.0]
    assert [point["energy_kWh"] for point in series] == [0.5, 1.5, 3.0]
    assert [point["power_kW"] for point in series] == [None, 60.0, 90.0]
