"""Every background job as a plain function of (database, settings, **arguments).

A Celery task (tasks/definitions.py), the embedded eager path (tasks/dispatch.py) and the
embedded scheduler (tasks/scheduler.py) all run the same function: one unit of work, one
domain service call. Each is safe to run twice or concurrently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from adapters.metrics import TaskState, record_task
from adapters.presence import Presence, build_presence
from adapters.relay import Envelope, RelayTransport, build_transport
from domain.clock import utcnow
from domain.db import Database
from domain.services import (
    certificate_requests,
    health,
    heartbeat_sweep,
    message_log_partitions,
    reconciliation,
    reservations,
    retention,
    sessions,
)
from domain.settings import Settings

log = logging.getLogger(__name__)

Job = Callable[..., Any]

JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    """Register a job under its Celery task name; every run is counted in /metrics."""

    def register(function: Job) -> Job:
        @wraps(function)
        def counted(database: Database, settings: Settings, **arguments: Any) -> Any:
            try:
                result = function(database, settings, **arguments)
            except Exception:
                record_task(settings, name, TaskState.FAILED)
                raise
            record_task(settings, name, TaskState.SUCCEEDED)
            return result

        JOBS[name] = counted
        return counted

    return register


def run_job(name: str, database: Database, settings: Settings, arguments: dict[str, Any]) -> Any:
    """Run the job called `name` in this process; raises KeyError for an unknown name."""
    return JOBS[name](database, settings, **arguments)


@job("finalize_session")
def finalize_session(database: Database, settings: Settings, transaction_id: int) -> dict:
    with database.unit_of_work() as session:
        outcome = sessions.finalize_session(session, transaction_id)
    _log_done("finalize_session", transaction_id=transaction_id, finalized=outcome.finalized)
    return outcome.as_dict()


class SessionsNotFinalized(Exception):
    """Some sessions of a batch failed to finalise (each logged; reconciliation retries)."""


@job("finalize_sessions")
def finalize_sessions(database: Database, settings: Settings, transaction_ids: list[int]) -> dict:
    """`finalize_session` for each transaction of an outbox batch (one broker message for
    many StopTransactions), each in its own unit of work; one failing does not stop the
    others, and the batch then raises so the broker records the failure."""
    failed = []
    for transaction_id in transaction_ids:
        try:
            finalize_session(database, settings, transaction_id=transaction_id)
        except Exception:  # noqa: BLE001 - logged; the others still run
            log.exception("session not finalized", extra={"transaction_id": transaction_id})
            failed.append(transaction_id)
    if failed:
        raise SessionsNotFinalized(f"transactions {failed} not finalized")
    return {"finalized": len(transaction_ids)}


@job("sweep_heartbeats")
def sweep_heartbeats(
    database: Database, settings: Settings, presence: Presence | None = None
) -> dict:
    """`presence` defaults to the deployment's (Redis); the embedded app passes its own."""
    presence = presence or build_presence(settings)
    with database.unit_of_work() as session:
        disconnected = heartbeat_sweep.sweep_heartbeats(
            session,
            heartbeat_interval=settings.heartbeat_interval,
            timeout_factor=settings.heartbeat_timeout_factor,
            holds_socket=lambda name: presence.node_of(name) is not None,
            now=utcnow(),
        )
    for name in disconnected:
        log.info("charger marked disconnected", extra={"charger_id": name, "outcome": "silent"})
    _log_done("sweep_heartbeats", disconnected=len(disconnected))
    return {"disconnected": disconnected}


@job("prune_status_logs")
def prune_status_logs(database: Database, settings: Settings) -> dict:
    deleted = _prune(
        database, retention.prune_status_logs, settings.status_log_retention_days, settings
    )
    _log_done("prune_status_logs", deleted=deleted)
    return {"deleted": deleted}


@job("prune_message_log")
def prune_message_log(database: Database, settings: Settings) -> dict:
    days = settings.message_log_retention_days
    now = utcnow()
    # PostgreSQL: partitions made ahead, whole expired days dropped; then batched deletes
    # for what is left (SQLite, the DEFAULT partition, rows from before partitioning).
    with database.unit_of_work() as session:
        created = message_log_partitions.ensure_message_log_partitions(session, now.date())
    with database.unit_of_work() as session:
        dropped, dropped_rows = message_log_partitions.drop_message_log_partitions(
            session, now - timedelta(days=days)
        )
    deleted = dropped_rows + _prune(database, retention.prune_message_log, days, settings)
    outbox_deleted = _prune(database, retention.prune_dispatched_outbox, days, settings)
    tokens_deleted = _prune(database, retention.prune_revoked_tokens, 0, settings)
    outcome = {
        "deleted": deleted,
        "outbox_deleted": outbox_deleted,
        "revoked_tokens_deleted": tokens_deleted,
    }
    _log_done(
        "prune_message_log", partitions_created=len(created), partitions_dropped=dropped, **outcome
    )
    return outcome


@job("reconcile_transactions")
def reconcile_transactions(database: Database, settings: Settings) -> dict:
    with database.unit_of_work() as session:
        report = reconciliation.reconcile_transactions(
            session,
            max_duration=timedelta(hours=settings.max_transaction_hours),
            boot_grace=timedelta(seconds=settings.reconcile_boot_grace_seconds),
            now=utcnow(),
        )
    _log_done("reconcile_transactions", **{k: len(v) for k, v in report.as_dict().items()})
    return report.as_dict()


@job("expire_reservations")
def expire_reservations(database: Database, settings: Settings) -> dict:
    with database.unit_of_work() as session:
        expired = reservations.expire_reservations(session, utcnow())
    _log_done("expire_reservations", expired=expired)
    return {"expired": expired}


@job("request_certificate_renewals")
def request_certificate_renewals(
    database: Database,
    settings: Settings,
    presence: Presence | None = None,
    transport: RelayTransport | None = None,
) -> dict:
    """Queue ExtendedTriggerMessage(SignChargePointCertificate) for connected chargers whose
    certificate ends within 30 days and offer each to the node holding the charger's socket
    (a charger that reconnects gets it from the queue). `presence` and `transport` default
    to the deployment's (Redis); the embedded app passes its own."""
    with database.unit_of_work() as session:
        queued = certificate_requests.request_certificate_renewals(session, utcnow())
    own_transport = transport is None
    presence = presence or build_presence(settings)
    transport = transport or build_transport(settings)
    offered = 0
    try:
        for item in queued:
            node_id = presence.node_of(item.charger_name)
            envelope = Envelope(item.command_id, item.charger_name, item.action, item.payload)
            if node_id is not None and transport.publish(node_id, envelope) > 0:
                offered += 1
    finally:
        if own_transport:
            transport.close()
    outcome = {"requested": [item.charger_name for item in queued], "offered": offered}
    _log_done("request_certificate_renewals", requested=len(queued), offered=offered)
    return outcome


@job("roll_up_health")
def roll_up_health(database: Database, settings: Settings) -> dict:
    with database.unit_of_work() as session:
        written = health.refresh_rollups(
            session, now=utcnow(), heartbeat_interval=settings.heartbeat_interval
        )
    _log_done("roll_up_health", **{f"rows_{day}": rows for day, rows in written.items()})
    return written


def _prune(database: Database, prune_batch: Callable[..., int], days: int, settings) -> int:
    """Delete in batches, one short commit each, until a batch comes back short."""
    older_than = utcnow() - timedelta(days=days)
    total = 0
    while True:
        with database.unit_of_work() as session:
            deleted = prune_batch(session, older_than, settings.prune_batch_size)
        total += deleted
        if deleted == 0 or deleted < settings.prune_batch_size:
            return total


def _log_done(task: str, **fields: Any) -> None:
    log.info("task done", extra={"task": task, "outcome": "done", **fields})
