"""The transactional outbox of background work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.clock import utcnow
from domain.models.base import Base, BigIntId


class TaskOutbox(Base):
    """Background work recorded in the same commit as the data it is about.

    A dispatcher hands rows to Celery after commit; if the broker is down the row
    waits and a beat sweep dispatches it later, so no session goes unfinalised."""

    __tablename__ = "task_outbox"
    __table_args__ = (UniqueConstraint("task_name", "dedupe_key", name="uq_task_outbox_dedupe"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    task_name: Mapped[str] = mapped_column(String(128))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
