"""The OCPP message log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.clock import utcnow
from domain.models.base import Base, BigIntId


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class OcppMessage(Base):
    """Every frame in and out, for operators and for audits."""

    __tablename__ = "ocpp_messages"
    __table_args__ = (Index("ix_ocpp_messages_charger_time", "charger_name", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_name: Mapped[str] = mapped_column(String(48))
    direction: Mapped[str] = mapped_column(String(8))
    message_type: Mapped[int]
    unique_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="charger")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
