"""Faults with a real Redis broker, real `celery worker`/`celery beat` processes and PostgreSQL.

Each test has its own database and its own broker key prefix, so parallel runs never share a
queue. The workers run tests/e2e/tasks/instrumented_app.py: the deployed app plus result
recording and a hold on the first finalize_session attempt, so a test can kill it mid-task.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from domain.clock import utcnow
from domain.models import ChargerStatus, StatusLog, TaskOutbox, Transaction, TransactionStatus
from tasks.dispatch import dispatch_pending
from tests.conftest import TEST_JWT_SECRET
from tests.e2e.tasks.celery_processes import CeleryProcess
from tests.services import free_port
from tests.sessions_builder import add_charger, start, stop

WAIT = 30  # seconds before a test gives up on an event that should have happened


@pytest.fixture
def environ(broker_settings, tmp_path):
    return {
        "DATABASE_URL": broker_settings.database_url,
        "REDIS_URL": broker_settings.redis_url,
        "CELERY_KEY_PREFIX": broker_settings.celery_key_prefix,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "INSTANCE_PATH": str(tmp_path),
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def processes():
    started: list[CeleryProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def probe(broker_settings):
    # Blocking reads wait up to WAIT seconds; the client's own socket timeout must outlast them.
    client = redis.Redis.from_url(
        broker_settings.redis_url, decode_responses=True, socket_timeout=WAIT + 10
    )
    prefix = broker_settings.celery_key_prefix
    yield lambda name: f"{prefix}test:{name}", client
    client.close()


def stopped_session(database, name="CP-1", meter_stop=12_000) -> int:
    with database.unit_of_work() as session:
        charger = add_charger(session, name)
        transaction_id = start(
            session, charger, meter_start=2_000, at=utcnow() - timedelta(hours=2)
        )
        stop(
            session,
            charger,
            transaction_id,
            meter_stop=meter_stop,
            at=utcnow() - timedelta(hours=1),
        )
    return transaction_id


def results(probe, task: str) -> list:
    key, client = probe
    return [
        entry["result"]
        for entry in map(json.loads, client.lrange(key("results"), 0, -1))
        if entry["task"] == task
    ]


def wait_for_result(probe, task: str, predicate=lambda result: True) -> dict:
    """Block on the results list until `task` reports a result matching `predicate`."""
    key, client = probe
    seen = 0
    while True:
        entries = client.lrange(key("results"), seen, -1)
        if not entries:
            assert client.blmove(key("results"), key("results"), WAIT, "RIGHT", "RIGHT"), (
                f"no result from {task} within {WAIT} s"
            )
            continue
        seen += len(entries)
        for entry in map(json.loads, entries):
            if entry["task"] == task and predicate(entry["result"]):
                return entry["result"]


def held_task_pid(probe) -> int:
    key, client = probe
    popped = client.blpop(key("started"), WAIT)
    assert popped is not None, "finalize_session never started"
    return json.loads(popped[1])["pid"]


def assert_finalised_once(database, probe, transaction_id):
    key, client = probe
    assert client.get(key(f"attempts:{transaction_id}")) == "2"
    finished = results(probe, "finalize_session")
    assert [result["finalized"] for result in finished] == [True]
    with database.unit_of_work() as session:
        transaction = session.get(Transaction, transaction_id)
        assert transaction.status == TransactionStatus.COMPLETED
        assert transaction.energy_consumed_kwh == pytest.approx(10.0)
        assert transaction.finalized_at is not None


def test_pool_process_killed_mid_finalize_is_redelivered_and_finalised_once(
    pg_db, broker_settings, environ, processes, probe, tmp_path
):
    worker = CeleryProcess.worker(environ, tmp_path / "worker.log", "kill-child")
    processes.append(worker)
    transaction_id = stopped_session(pg_db)
    assert dispatch_pending(pg_db, broker_settings) == 1
    os.kill(held_task_pid(probe), signal.SIGKILL)
    wait_for_result(probe, "finalize_session")
    assert "signal 9 (SIGKILL)" in worker.log_text()
    assert_finalised_once(pg_db, probe, transaction_id)


def test_whole_worker_killed_mid_finalize_is_redelivered_to_the_next_worker(
    pg_db, broker_settings, environ, processes, probe, tmp_path
):
    # A short visibility timeout so the abandoned message comes back within the test.
    environ |= {"TASK_VISIBILITY_TIMEOUT": "10", "TASK_TIME_LIMIT": "8"}
    first = CeleryProcess.worker(environ, tmp_path / "first.log", "first")
    processes.append(first)
    transaction_id = stopped_session(pg_db)
    assert dispatch_pending(pg_db, broker_settings) == 1
    held_task_pid(probe)
    first.kill()
    processes.append(CeleryProcess.worker(environ, tmp_path / "second.log", "second"))
    wait_for_result(probe, "finalize_session")
    assert_finalised_once(pg_db, probe, transaction_id)


def test_stop_recorded_while_redis_is_down_is_finalised_once_it_is_back(
    pg_db, broker_settings, environ, processes, probe, tmp_path
):
    transaction_id = stopped_session(pg_db)
    redis_down = dataclasses.replace(
        broker_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    assert dispatch_pending(pg_db, redis_down) == 0
    with pg_db.unit_of_work() as session:
        assert session.scalar(select(TaskOutbox.dispatched_at)) is None
    environ |= {"OUTBOX_DISPATCH_SECONDS": "1"}
    processes.append(CeleryProcess.worker(environ, tmp_path / "worker.log", "outbox"))
    processes.append(CeleryProcess.beat(environ, tmp_path / "beat.log", tmp_path))
    key, client = probe
    client.set(key(f"attempts:{transaction_id}"), 1)  # no hold: nothing is killed here
    wait_for_result(probe, "finalize_session")
    with pg_db.unit_of_work() as session:
        assert session.scalar(select(TaskOutbox.dispatched_at)) is not None
    assert [r["finalized"] for r in results(probe, "finalize_session")] == [True]


def test_two_beats_by_mistake_cause_no_double_effects(
    pg_db, broker_settings, environ, processes, probe, tmp_path
):
    with pg_db.unit_of_work() as session:
        silent = add_charger(session, "silent")
        silent.status = ChargerStatus.CONNECTED
        silent.last_heartbeat = utcnow() - timedelta(hours=1)
        overdue = start(session, add_charger(session, "CP-2"), at=utcnow() - timedelta(days=4))
    stopped = stopped_session(pg_db)
    key, client = probe
    client.set(key(f"attempts:{stopped}"), 1)  # no hold: nothing is killed here
    environ |= {
        "OUTBOX_DISPATCH_SECONDS": "1",
        "HEARTBEAT_SWEEP_SECONDS": "1",
        "RECONCILE_INTERVAL_SECONDS": "1",
    }
    processes.append(CeleryProcess.worker(environ, tmp_path / "worker.log", "twobeats"))
    beats = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        beats.append(CeleryProcess.beat(environ, tmp_path / f"beat-{name}.log", tmp_path / name))
    processes.extend(beats)
    for beat in beats:
        for task in ("sweep_heartbeats", "reconcile_transactions", "dispatch_outbox"):
            beat.wait_for_log(f"Sending due task {task}", count=3)
    for beat in beats:
        beat.stop()
    for task in ("sweep_heartbeats", "reconcile_transactions", "dispatch_outbox"):
        wait_for_result(probe, task)  # the last of them has run once the queue is empty
    wait_until_broker_idle(client, broker_settings.celery_key_prefix)

    assert [r["disconnected"] for r in results(probe, "sweep_heartbeats") if r["disconnected"]] == [
        ["silent"]
    ]
    closed = [r["closed"] for r in results(probe, "reconcile_transactions") if r["closed"]]
    assert closed == [[overdue]]
    finalised = [r for r in results(probe, "finalize_session") if r["finalized"]]
    finalised += [r for r in results(probe, "reconcile_transactions") if r["finalized"]]
    assert len(finalised) == 1
    with pg_db.unit_of_work() as session:
        logs = session.execute(
            select(StatusLog.status, func.count()).group_by(StatusLog.status)
        ).all()
        assert dict(logs) == {ChargerStatus.DISCONNECTED: 1, "TransactionFailed": 1}
        assert session.get(Transaction, overdue).status == TransactionStatus.FAILED
        assert session.get(Transaction, stopped).energy_consumed_kwh == pytest.approx(10.0)


def wait_until_broker_idle(client, prefix: str) -> None:
    """Nothing queued and nothing delivered but unacknowledged (tasks ack when done)."""
    for _ in range(WAIT * 10):
        if client.llen(f"{prefix}celery") == 0 and client.hlen(f"{prefix}unacked") == 0:
            return
        client.blpop(f"{prefix}test:never", 0.1)
    raise AssertionError("broker never went idle")
