"""Charger health: one charger's scorecard, the fleet ranking, and the daily rollups that keep
both cheap at fleet scale.

A scorecard over a window reads the rollup rows of the whole past UTC days inside it and the
raw records for the rest (the part of the first day before a whole day begins, days not rolled
up yet, and today). The fleet ranking reads rollup rows only, today's included: the rollup job
refreshes today's row on every run, so the ranking is as fresh as its last run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerHealthDay
from domain.queries.paging import Page, PageRequest
from domain.services.chargers import get_charger
from domain.services.health_figures import HealthFigures
from domain.services.health_records import collect_figures
from domain.services.health_score import (
    SCORE_COUNT_KEYS,
    availability_percent,
    score,
    score_counts,
    score_from_counts,
)

DAY = timedelta(days=1)
MAX_WINDOW_HOURS = 720


@dataclass(frozen=True)
class FleetEntry:
    charger: str
    status: str
    score: int
    top_deduction: dict[str, Any] | None


def start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def charger_scorecard(
    session: Session, name: str, *, hours: int, now: datetime, heartbeat_interval: int
) -> dict[str, Any]:
    """The scorecard of charger `name` over the `hours` before `now` (see the module doc);
    raises NotFound. Reads only."""
    charger = get_charger(session, name)
    since, today = now - timedelta(hours=hours), start_of_day(now)
    first_whole = start_of_day(since) + (DAY if since != start_of_day(since) else timedelta())
    whole_days = []
    day = first_whole
    while day + DAY <= today:
        whole_days.append(day)
        day += DAY
    rolled = {
        row.day: HealthFigures.from_dict(row.figures)
        for row in session.scalars(
            select(ChargerHealthDay).where(
                ChargerHealthDay.charger_id == charger.id,
                ChargerHealthDay.day.in_([day.date() for day in whole_days]),
            )
        )
    }
    figures, raw_from = HealthFigures(), since
    for day in whole_days:
        if day.date() not in rolled:
            continue
        figures = figures.merged(_raw(session, charger.id, raw_from, day, heartbeat_interval))
        figures = figures.merged(rolled[day.date()])
        raw_from = day + DAY
    figures = figures.merged(_raw(session, charger.id, raw_from, now, heartbeat_interval))
    return scorecard(charger.name, hours, figures)


def _raw(session, charger_id, since, until, heartbeat_interval) -> HealthFigures:
    if since >= until:
        return HealthFigures()
    found = collect_figures(
        session, since, until, heartbeat_interval=heartbeat_interval, charger_ids=[charger_id]
    )
    return found.get(charger_id, HealthFigures())


def scorecard(name: str, hours: int, figures: HealthFigures) -> dict[str, Any]:
    """The API's scorecard of `figures` for charger `name` over `hours`."""
    points, deductions = score(figures)
    return {
        "charger": name,
        "window_hours": hours,
        "score": points,
        "deductions": [deduction.__dict__ for deduction in deductions],
        "availability_percent": availability_percent(figures),
        "connections": {
            "opened": figures.opened,
            "replaced": figures.replaced,
            "dropped": figures.dropped,
        },
        "boots": {"count": figures.boots, "reasons": figures.boot_reasons},
        "protocol_errors": {
            "by_code": figures.protocol_errors,
            "refused_frames": figures.refused_frames,
        },
        "command_outcomes": figures.command_outcomes,
        "heartbeat": {
            "expected_interval_seconds": figures.heartbeat_interval,
            "observed_p95_gap_seconds": figures.heartbeat_gap_p95,
            "late_count": figures.late_heartbeats,
        },
        "clock_skew_seconds": {"median": figures.skew_median, "worst": figures.skew_worst},
        "meter_anomalies": {
            "backwards_readings": figures.backwards_readings,
            "implausible_readings": figures.implausible_readings,
            "flagged_transactions": figures.flagged_transactions,
        },
    }


def fleet_scores(session: Session, *, hours: int, now: datetime) -> list[FleetEntry]:
    """Every charger's score over the UTC days the window touches, from the rollups, worst
    first (then by name). A charger with no rollup yet scores 100 with no deduction."""
    first_day = start_of_day(now - timedelta(hours=hours)).date()
    days = ChargerHealthDay
    sums = [func.sum(days.score_counts[key].as_float()) for key in SCORE_COUNT_KEYS]
    summed = {
        charger_id: dict(zip(SCORE_COUNT_KEYS, values, strict=True))
        for charger_id, *values in session.execute(
            select(days.charger_id, *sums).where(days.day >= first_day).group_by(days.charger_id)
        )
    }
    entries = []
    for charger_id, name, status in session.execute(
        select(Charger.id, Charger.name, Charger.status)
    ):
        points, deductions = score_from_counts(summed.get(charger_id, {}))
        top = deductions[0].__dict__ if deductions else None
        entries.append(FleetEntry(name, status, points, top))
    entries.sort(key=lambda entry: (entry.score, entry.charger))
    return entries


def list_fleet_health(
    session: Session,
    page: PageRequest,
    *,
    hours: int,
    now: datetime,
    min_score: int | None = None,
    max_score: int | None = None,
    status: str | None = None,
    search: str | None = None,
) -> Page:
    """One page of `fleet_scores`, filtered by score bounds (inclusive), charger status and a
    substring of the name (any case)."""
    entries = [
        entry
        for entry in fleet_scores(session, hours=hours, now=now)
        if (min_score is None or entry.score >= min_score)
        and (max_score is None or entry.score <= max_score)
        and (status is None or entry.status == status)
        and (not search or search.lower() in entry.charger.lower())
    ]
    return Page(entries[page.offset : page.offset + page.size], len(entries))


def roll_up_health(
    session: Session, *, day_start: datetime, until: datetime, heartbeat_interval: int
) -> int:
    """Replace every charger's rollup row of the UTC day beginning `day_start` with its figures
    of [day_start, until) (the whole day once it is over; so far, for today). Running it twice
    leaves the same rows. Returns how many rows it wrote; commits nothing."""
    end = min(until, day_start + DAY)
    figures = collect_figures(session, day_start, end, heartbeat_interval=heartbeat_interval)
    day = day_start.date()
    session.execute(delete(ChargerHealthDay).where(ChargerHealthDay.day == day))
    rows = [
        {
            "charger_id": charger_id,
            "day": day,
            "figures": found.as_dict(),
            "score_counts": score_counts(found),
            "computed_at": until,
        }
        for charger_id, found in figures.items()
    ]
    if rows:
        session.execute(insert(ChargerHealthDay), rows)
    return len(rows)


def refresh_rollups(session: Session, *, now: datetime, heartbeat_interval: int) -> dict[str, int]:
    """Roll up today so far, and yesterday again unless its rows were computed after it
    ended; returns rows written per day (ISO date). Commits nothing."""
    today = start_of_day(now)
    yesterday = today - DAY
    written = {}
    last_computed = session.scalar(
        select(func.max(ChargerHealthDay.computed_at)).where(
            ChargerHealthDay.day == yesterday.date()
        )
    )
    if last_computed is None or last_computed < today:
        written[yesterday.date().isoformat()] = roll_up_health(
            session, day_start=yesterday, until=now, heartbeat_interval=heartbeat_interval
        )
    written[today.date().isoformat()] = roll_up_health(
        session, day_start=today, until=now, heartbeat_interval=heartbeat_interval
    )
    return written
