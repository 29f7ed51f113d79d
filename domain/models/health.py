"""How chargers' sockets began and ended, and the daily health figures rolled up from the
logs for the scorecard."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.clock import utcnow
from domain.models.base import Base, BigIntId


class SocketEventKind(StrEnum):
    """How a charger's socket began or ended, for its health scorecard."""

    OPENED = "opened"
    # Taken over by a newer socket with the same identity (two boxes sharing an id).
    REPLACED = "replaced"
    # Gone without a close frame: network loss, ping timeout, a crashed charger.
    DROPPED = "dropped"
    # Closed with a close frame, by the charger or by us.
    CLOSED = "closed"


class SocketEvent(Base):
    """One socket opening or ending; the status log says Connected/Disconnected, this says how."""

    __tablename__ = "socket_events"
    __table_args__ = (Index("ix_socket_events_charger_time", "charger_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargerHealthDay(Base):
    """A charger's health figures for one whole UTC day, rolled up by a beat job so that
    scorecards over long windows read one row per day instead of the raw logs."""

    __tablename__ = "charger_health_days"

    charger_id: Mapped[int] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    figures: Mapped[dict[str, Any]]
    # The numbers the score depends on (domain/services/health_score.score_counts); JSONB on
    # PostgreSQL, where a fleet ranking sums them straight from the binary form.
    score_counts: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
