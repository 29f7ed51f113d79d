"""The OCPP message log: every frame in and out, for operators and audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.models import Direction, OcppMessage


def record_frame(
    session: Session,
    *,
    charger_name: str,
    direction: Direction,
    message_type: int,
    unique_id: str | None,
    action: str | None,
    payload: Any,
    source: str = "charger",
    at: datetime | None = None,
) -> None:
    """Add one frame to the log (not flushed). `payload` is the parsed JSON, or the raw
    text of a frame that could not be parsed; `message_type` 0 marks such a frame."""
    session.add(
        OcppMessage(
            charger_name=charger_name,
            direction=direction,
            message_type=message_type,
            unique_id=unique_id[:64] if isinstance(unique_id, str) else None,
            action=action[:64] if isinstance(action, str) else None,
            payload=payload,
            source=source,
            created_at=at or utcnow(),
        )
    )
