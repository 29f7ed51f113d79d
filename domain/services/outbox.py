"""Background work recorded in the same commit as the data it is about (transactional outbox).

A service calls `enqueue_task` inside its unit of work, which records a BackgroundWorkRecorded
event; after the commit the edge publishes it and the outbox dispatcher hands the pending rows
to Celery (adapters/outbox.py, wired to `tasks.dispatch.dispatch_pending`). If the broker is
down the rows stay pending and a beat sweep dispatches them later, so no work is lost and none
is done twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.events import BackgroundWorkRecorded, record_event
from domain.models import TaskOutbox
from domain.services.insert_once import insert_once

_OUTBOX = TaskOutbox.__table__
_KEY = (_OUTBOX.c.task_name, _OUTBOX.c.dedupe_key)


def enqueue_task(session: Session, task_name: str, dedupe_key: str, **arguments) -> None:
    """Record `task_name(**arguments)` once per (task_name, dedupe_key); written in the
    session's transaction, not committed (one INSERT that skips an existing key)."""
    row = {"task_name": task_name, "dedupe_key": dedupe_key, "arguments": arguments}
    inserted = insert_once(session, _OUTBOX, _KEY, _OUTBOX.c.id, row).first()
    if inserted is not None:
        record_event(session, BackgroundWorkRecorded(task_name))


def pending_tasks(session: Session, limit: int = 100) -> list[TaskOutbox]:
    """Rows not yet handed to the broker, oldest first.

    On PostgreSQL the rows are locked until the session ends and rows another dispatcher holds
    are skipped, so two dispatchers never hand over the same row at once."""
    query = (
        select(TaskOutbox)
        .where(TaskOutbox.dispatched_at.is_(None))
        .order_by(TaskOutbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def mark_dispatched(session: Session, ids: list[int], when: datetime | None = None) -> None:
    if ids:
        session.execute(
            update(TaskOutbox).where(TaskOutbox.id.in_(ids)).values(dispatched_at=when or utcnow())
        )
