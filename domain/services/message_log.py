"""The OCPP message log: every frame in and out, for operators and audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.models import Direction, OcppMessage
from domain.services.authorization_keys import redact


def frame_row(
    *,
    charger_name: str,
    direction: Direction,
    message_type: int,
    unique_id: str | None,
    action: str | None,
    payload: Any,
    source: str = "charger",
    at: datetime | None = None,
) -> dict[str, Any]:
    """One message-log row as column values. `payload` is the parsed JSON, or the raw
    text of a frame that could not be parsed; `message_type` 0 marks such a frame.
    AuthorizationKey values are redacted."""
    return {
        "charger_name": charger_name,
        "direction": direction,
        "message_type": message_type,
        "unique_id": unique_id[:64] if isinstance(unique_id, str) else None,
        "action": action[:64] if isinstance(action, str) else None,
        "payload": redact(action, payload),
        "source": source,
        "created_at": at or utcnow(),
    }


def record_frame(session: Session, **frame: Any) -> None:
    """Add one frame (the arguments of `frame_row`) to the log (not flushed)."""
    session.add(OcppMessage(**frame_row(**frame)))


# Built once: constructing the statement per call cost more CPU than running it.
_INSERT_FRAMES = insert(OcppMessage.__table__)


def record_frames(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `frame_row` rows now, in one statement, in the session's transaction (a
    Core insert on the session's connection: no ORM objects, nothing left for the flush).
    Commits nothing."""
    if rows:
        session.connection().execute(_INSERT_FRAMES, rows)
