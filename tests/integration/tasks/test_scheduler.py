"""The embedded scheduler: beat's jobs in-process, only when embedded and enabled."""

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from bootstrap import create_app
from domain.clock import utcnow
from domain.models import ChargerStatus, Transaction
from domain.services.outbox import enqueue_task
from tasks.jobs import JOBS
from tasks.scheduler import SCHEDULER_KEY, EmbeddedScheduler
from tests.conftest import make_settings
from tests.sessions_builder import add_charger, start, stop


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_jobs_run_when_their_interval_has_passed(db, settings):
    clock = FakeClock()
    scheduler = EmbeddedScheduler(db, settings, clock=clock)
    assert scheduler.run_due() == ["dispatch_outbox"]  # at once, for work left before a restart
    assert scheduler.run_due() == []
    clock.now += settings.outbox_dispatch_seconds
    assert scheduler.run_due() == ["dispatch_outbox"]
    clock.now += settings.heartbeat_sweep_seconds - settings.outbox_dispatch_seconds
    assert set(scheduler.run_due()) == {"dispatch_outbox", "sweep_heartbeats"}
    clock.now += settings.reconcile_interval_seconds
    assert "reconcile_transactions" in scheduler.run_due()
    clock.now += settings.prune_interval_hours * 3600
    assert {"prune_status_logs", "prune_message_log"} <= set(scheduler.run_due())


def test_scheduled_jobs_do_the_work(db, settings):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        charger.status = ChargerStatus.CONNECTED
        charger.last_heartbeat = utcnow() - timedelta(hours=1)
        transaction_id = start(session, charger)
        stop(session, charger, transaction_id, meter_stop=3_000)
        enqueue_task(session, "finalize_session", "again", transaction_id=transaction_id)
    clock = FakeClock()
    scheduler = EmbeddedScheduler(db, settings, clock=clock)
    clock.now += settings.heartbeat_sweep_seconds
    scheduler.run_due()
    with db.unit_of_work() as session:
        assert session.get(Transaction, transaction_id).energy_consumed_kwh == 3.0
        assert session.scalar(select(charger.__class__.status)) == ChargerStatus.DISCONNECTED


def test_a_failing_job_does_not_stop_the_others(db, settings, monkeypatch, caplog):
    def broken(database, settings):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(JOBS, "prune_status_logs", broken)
    clock = FakeClock()
    scheduler = EmbeddedScheduler(db, settings, clock=clock)
    clock.now += 10 * 24 * 3600
    ran = scheduler.run_due()
    assert {"sweep_heartbeats", "prune_status_logs", "prune_message_log"} <= set(ran)
    assert "disk on fire" in caplog.text


def test_not_started_for_settings_built_directly(app):
    assert SCHEDULER_KEY not in app.extensions


def test_not_started_with_a_broker(tmp_path, sqlite_url):
    settings = make_settings(
        tmp_path, database_url=sqlite_url, redis_url="redis://127.0.0.1:6379/0"
    )
    app = create_app(dataclasses.replace(settings, embedded_scheduler=True))
    assert SCHEDULER_KEY not in app.extensions


def test_starts_with_the_first_request_when_enabled(tmp_path, sqlite_url):
    settings = make_settings(tmp_path, database_url=sqlite_url, embedded_scheduler=True)
    app = create_app(settings)
    scheduler = app.extensions[SCHEDULER_KEY]
    assert scheduler._thread is None  # CLI commands build the app but serve no request
    try:
        app.test_client().get("/healthz")
        assert scheduler._thread is not None and scheduler._thread.is_alive()
    finally:
        scheduler.stop()
    assert not scheduler._thread.is_alive()
