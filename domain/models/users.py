"""Operators of the REST API and the tokens they revoked."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from domain.clock import utcnow
from domain.models.base import Base


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.ADMIN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevokedToken(Base):
    """JWT blocklist that survives restarts."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
