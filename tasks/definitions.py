"""The Celery tasks: each takes ids (or nothing) and runs one job from tasks/jobs.py with this
worker process's settings and database. Every job is safe to run twice or concurrently."""

from __future__ import annotations

from celery.signals import worker_process_init

from domain.db import Database
from domain.settings import Settings
from tasks import app, dispatch, jobs

_context: tuple[Database, Settings] | None = None


@worker_process_init.connect
def _forget_inherited_context(**_kwargs) -> None:
    # A forked pool process must not share the parent's database connections.
    global _context
    _context = None


def _worker_context() -> tuple[Database, Settings]:
    global _context
    if _context is None:
        settings = Settings.from_env()
        _context = (Database.from_settings(settings), settings)
    return _context


@app.task(name="finalize_session")
def finalize_session(transaction_id: int) -> dict:
    return jobs.finalize_session(*_worker_context(), transaction_id=transaction_id)


@app.task(name="finalize_sessions")
def finalize_sessions(transaction_ids: list[int]) -> dict:
    return jobs.finalize_sessions(*_worker_context(), transaction_ids=transaction_ids)


@app.task(name="sweep_heartbeats")
def sweep_heartbeats() -> dict:
    return jobs.sweep_heartbeats(*_worker_context())


@app.task(name="prune_status_logs")
def prune_status_logs() -> dict:
    return jobs.prune_status_logs(*_worker_context())


@app.task(name="prune_message_log")
def prune_message_log() -> dict:
    return jobs.prune_message_log(*_worker_context())


@app.task(name="reconcile_transactions")
def reconcile_transactions() -> dict:
    return jobs.reconcile_transactions(*_worker_context())


@app.task(name="expire_reservations")
def expire_reservations() -> dict:
    return jobs.expire_reservations(*_worker_context())


@app.task(name="request_certificate_renewals")
def request_certificate_renewals() -> dict:
    return jobs.request_certificate_renewals(*_worker_context())


@app.task(name="roll_up_health")
def roll_up_health() -> dict:
    return jobs.roll_up_health(*_worker_context())


@app.task(name="dispatch_outbox")
def dispatch_outbox() -> dict:
    return dispatch.dispatch_outbox(*_worker_context())
