"""Authorisation tokens (idTags) chargers present."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from domain.clock import utcnow
from domain.models.base import Base


class IdTagStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class IdTag(Base):
    __tablename__ = "id_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20), unique=True)
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry_date: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=IdTagStatus.ACCEPTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
