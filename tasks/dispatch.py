"""Hand the transactional outbox to Celery after a commit (or run it here when embedded).

`dispatch_pending` is the web process's outbox dispatch port (adapters/outbox.py), wired by
bootstrap.py: the after-commit dispatcher runs it when a unit of work recorded background
work. The `dispatch_outbox` beat task calls it again periodically, so a row left pending
because the broker was down is picked up once the broker is back. It never raises into its
caller and never waits long on a broker: connect and publish timeouts are a few seconds
(celeryconfig).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from celery import Celery

from adapters.metrics import TaskState, record_task
from adapters.outbox import BATCH_SIZE
from celeryconfig import celery_options
from domain.db import Database
from domain.models import TaskOutbox
from domain.services.outbox import mark_dispatched, pending_tasks
from domain.services.transaction_close import FINALIZE_SESSION
from domain.settings import Settings
from tasks.jobs import job, run_job

log = logging.getLogger(__name__)

OUTBOX_JOB = "dispatch_outbox"
FINALIZE_SESSIONS = "finalize_sessions"  # finalize_session for a batch of transactions


def dispatch_pending(database: Database, settings: Settings, limit: int = BATCH_SIZE) -> int:
    """Dispatch up to `limit` pending outbox rows; returns how many left the outbox.

    With REDIS_URL set each row is published to Celery and marked dispatched in the same
    commit (rows are locked, so two dispatchers never publish the same row at once). Embedded,
    each row's job runs here, eagerly. A broker or database failure is logged and the rows
    stay pending; nothing is raised.
    """
    try:
        if settings.embedded:
            return _run_here(database, settings, limit)
        return _publish(database, settings, limit)
    except Exception:
        log.exception("outbox dispatch failed; rows stay pending", extra={"outcome": "error"})
        return 0


@job(OUTBOX_JOB)
def dispatch_outbox(database: Database, settings: Settings) -> dict:
    """The beat sweep: dispatch every pending row, batch by batch, while the broker takes them."""
    total = 0
    while True:
        dispatched = dispatch_pending(database, settings)
        total += dispatched
        if dispatched < BATCH_SIZE:
            return {"dispatched": total}


def _publish(database: Database, settings: Settings, limit: int) -> int:
    producer = _producer(settings)
    sent: Counter[str] = Counter()
    sent_ids: list[int] = []
    with database.unit_of_work() as session:
        # One broker connection for the batch, not one checkout per message.
        with producer.producer_or_acquire() as connection:
            for message in _messages(pending_tasks(session, limit)):
                try:
                    producer.send_task(
                        message.task_name,
                        kwargs=message.arguments,
                        retry=False,
                        producer=connection,
                    )
                except Exception as error:  # noqa: BLE001 - any broker failure: the rows wait
                    log.warning(
                        "broker unavailable; outbox rows stay pending",
                        extra={"task": message.task_name, "error": str(error)},
                    )
                    break
                sent_ids += message.outbox_ids
                sent[message.task_name] += 1
                log.debug(
                    "outbox rows dispatched",
                    extra={"task": message.task_name, "outbox_ids": message.outbox_ids},
                )
        mark_dispatched(session, sent_ids)
    for task_name, count in sent.items():
        record_task(settings, task_name, TaskState.SENT, count)
        log.info(
            "outbox messages sent", extra={"task": task_name, "count": count, "outcome": "sent"}
        )
    return len(sent_ids)


@dataclass(frozen=True)
class _Message:
    task_name: str
    arguments: dict[str, Any]
    outbox_ids: list[int]


def _messages(rows: list[TaskOutbox]) -> list[_Message]:
    """One broker message per row, except that the batch's finalize_session rows, when there
    are several, go as one finalize_sessions message (one publish for many stops)."""
    finalizing = [row for row in rows if row.task_name == FINALIZE_SESSION]
    messages = [
        _Message(row.task_name, row.arguments, [row.id])
        for row in rows
        if row.task_name != FINALIZE_SESSION or len(finalizing) == 1
    ]
    if len(finalizing) > 1:
        transaction_ids = [row.arguments["transaction_id"] for row in finalizing]
        messages.append(
            _Message(
                FINALIZE_SESSIONS,
                {"transaction_ids": transaction_ids},
                [row.id for row in finalizing],
            )
        )
    return messages


def _run_here(database: Database, settings: Settings, limit: int) -> int:
    with database.unit_of_work() as session:
        pending = pending_tasks(session, limit)
        rows = [(row.id, row.task_name, dict(row.arguments)) for row in pending]
    for outbox_id, task_name, arguments in rows:
        try:
            run_job(task_name, database, settings, arguments)
            outcome = "done"
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            # Marked dispatched all the same, as a published task that failed would be:
            # reconciliation picks up sessions whose finalisation never completed.
            log.exception("eager task failed", extra={"task": task_name, "outbox_id": outbox_id})
            outcome = "failed"
        with database.unit_of_work() as session:
            mark_dispatched(session, [outbox_id])
        log.info(
            "outbox row run in process",
            extra={"task": task_name, "outbox_id": outbox_id, "outcome": outcome},
        )
    return len(rows)


@lru_cache(maxsize=4)
def _producer(settings: Settings) -> Celery:
    """A publishing-only Celery app for these settings' broker (the caller's, not the env's)."""
    producer = Celery("voltline-producer", set_as_current=False)
    options = celery_options(settings)
    # Nobody here waits for results; without a backend a publish only touches the broker.
    options["result_backend"] = None
    # One quick connection attempt: a broker that is down leaves the row for dispatch_outbox.
    options["broker_transport_options"] |= {"max_retries": 1, "interval_start": 0}
    producer.conf.update(options)
    return producer
