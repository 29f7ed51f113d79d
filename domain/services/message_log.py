"""The OCPP message log: every frame in and out, for operators and audits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.db import statement_connection
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


_INSERT = insert(OcppMessage.__table__)
_PENDING = "voltline_pending_frames"


def record_frames(session: Session, rows: list[dict[str, Any]]) -> None:
    """Log `frame_row` rows in the session's transaction: kept with the session and inserted
    when it commits, together with every other frame it logged, in one statement (a group
    commit's many exchanges cost one INSERT, not one each). A rollback discards them with
    everything else. Commits nothing."""
    if rows:
        session.connection()  # begun, so that a rollback is seen and discards them
        session.info.setdefault(_PENDING, []).extend(rows)


@event.listens_for(Session, "before_commit")
def _insert_pending_frames(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        statement_connection(session).execute(_INSERT, rows)


@event.listens_for(Session, "after_rollback")
def _discard_pending_frames(session: Session) -> None:
    session.info.pop(_PENDING, None)
