"""The OCPP message log: every frame in and out, for operators and audits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, text
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
        insert_frames_in_bulk(session, rows)


@event.listens_for(Session, "after_rollback")
def _discard_pending_frames(session: Session) -> None:
    session.info.pop(_PENDING, None)


# PostgreSQL: many rows in one statement whose one parameter is the rows as a JSON array
# (encoded in C), not a parameter set per row (SQLAlchemy's per-row processing, ~16 us) nor
# an array per column (psycopg2 adapts each element: a time costs 4 us). `->` gives the
# payload's JSON text exactly as written, which is json.dumps's text as SQLAlchemy's JSON
# type would bind it. COPY would be cheaper still, but psycopg2 refuses it in green mode.
_INSERT_FROM_JSON = text(
    "INSERT INTO ocpp_messages (charger_name, direction, message_type, unique_id, action, "
    "payload, source, created_at) SELECT f->>0, f->>1, CAST(f->>2 AS INTEGER), f->>3, f->>4, "
    "f->5, f->>6, CAST(f->>7 AS TIMESTAMP WITH TIME ZONE) "
    "FROM json_array_elements(CAST(:rows AS JSON)) AS f"
)


def insert_frames_in_bulk(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `frame_row` rows now, in one statement (the write-behind flush, and a unit of
    work's frames at its commit): on PostgreSQL as one JSON array parameter, at a fifth of
    the CPU of a parameter set per row; elsewhere a multi-row insert. Commits nothing."""
    if not rows:
        return
    connection = statement_connection(session)
    if connection.dialect.name != "postgresql":
        connection.execute(_INSERT, rows)
        return
    encoded = json.dumps(
        [
            [
                row["charger_name"],
                str(row["direction"]),
                int(row["message_type"]),
                row["unique_id"],
                row["action"],
                row["payload"],
                str(row["source"]),
                _utc(row["created_at"]).isoformat(),
            ]
            for row in rows
        ]
    )
    connection.execute(_INSERT_FROM_JSON, {"rows": encoded})


def _utc(moment: datetime) -> datetime:
    """As domain.models.base.UTCDateTime binds a time: a naive one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
