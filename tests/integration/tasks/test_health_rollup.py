"""The roll_up_health job writes today's figures per charger, and a charger the heartbeat sweep
finds silent counts a dropped connection."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.clock import utcnow
from domain.models import ChargerHealthDay, ChargerStatus, SocketEvent
from domain.services.health import start_of_day
from domain.services.heartbeat_sweep import sweep_heartbeats
from tasks.jobs import run_job
from tests.sessions_builder import add_charger


def test_roll_up_job_writes_one_row_per_charger_for_today_and_yesterday(db, settings):
    with db.unit_of_work() as session:
        add_charger(session, "a")
        add_charger(session, "b")

    first = run_job("roll_up_health", db, settings, {})
    second = run_job("roll_up_health", db, settings, {})

    today = start_of_day(utcnow()).date()
    assert first == {(today - timedelta(days=1)).isoformat(): 2, today.isoformat(): 2}
    assert second == {today.isoformat(): 2}  # yesterday is done once it has been rolled after
    with db.unit_of_work() as session:
        days = session.execute(select(ChargerHealthDay.day)).scalars().all()
    assert sorted(days) == [today - timedelta(days=1)] * 2 + [today] * 2


def test_charger_swept_as_silent_counts_a_dropped_connection(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "silent")
        charger.status = ChargerStatus.CONNECTED
        charger.last_heartbeat = charger.last_communication = utcnow() - timedelta(hours=1)
    with db.unit_of_work() as session:
        sweep_heartbeats(
            session,
            heartbeat_interval=60,
            timeout_factor=3.0,
            holds_socket=lambda name: False,
            now=utcnow(),
        )
    with db.unit_of_work() as session:
        kinds = session.execute(select(SocketEvent.kind)).scalars().all()
    assert kinds == ["dropped"]
