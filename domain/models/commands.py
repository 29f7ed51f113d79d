"""Central-system-initiated calls to chargers and their outcomes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from domain.clock import utcnow
from domain.models.base import Base, new_uuid
from domain.models.chargers import Charger


class CommandStatus(StrEnum):
    """A command's own states and outcomes; an answered command holds the charger's status
    word (Accepted, Rejected, ...) instead, or Completed when its answer carries none."""

    PENDING = "Pending"
    QUEUED = "Queued"
    SENT = "Sent"
    COMPLETED = "Completed"
    CALL_ERROR = "CallError"
    TIMEOUT = "Timeout"
    OFFLINE = "Offline"
    EXPIRED = "Expired"


class Command(Base):
    """A central-system-initiated call; `id` is the OCPP unique id sent to the charger."""

    __tablename__ = "commands"
    __table_args__ = (
        Index("ix_commands_charger_status", "charger_id", "status"),
        # The relay's sweep finds open commands by status alone.
        Index("ix_commands_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(32), default=CommandStatus.PENDING)
    response: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_description: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(150))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    queue_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    # Loaded with every command (a correlated subquery): a command is always shown with its
    # charger's name, after the session is gone; a statement writing the command can return
    # it the same way (RETURNING), without loading the charger.
    charger_name: Mapped[str] = column_property(
        select(Charger.name).where(Charger.id == charger_id).scalar_subquery()
    )
    # The whole charger only on access, within a session.
    charger: Mapped[Charger] = relationship()
