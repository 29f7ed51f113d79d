"""A command's one outcome: the charger's answer with its side effects, or CallError,
Timeout, Offline, Expired for what never got one. The first outcome wins (a conditional
UPDATE out of an open state), so a late answer never overwrites a Timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, bindparam, or_, select, update
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.models import Command, CommandStatus
from domain.services import authorization_keys
from domain.services.command_effects import apply_answer
from domain.services.commands import (
    COMMAND_COLUMNS,
    COMMANDS,
    OPEN_STATUSES,
    STATUS_WORD_MAX,
    command_from_row,
    is_final,
)

# The first outcome wins: written only while the command is open, and the row comes back
# (RETURNING) instead of being read again. Built once, like the statements of commands.py.
_RECORD_OUTCOME = (
    update(COMMANDS)
    .where(
        COMMANDS.c.id == bindparam("command_id"),
        # Equalities, not IN: an IN list is expanded anew on every execution.
        or_(*(COMMANDS.c.status == status for status in OPEN_STATUSES)),
    )
    .values(
        status=bindparam("outcome"),
        # None stays SQL NULL (no answer), not the JSON null a plain JSON parameter would be.
        response=bindparam("answer", type_=JSON(none_as_null=True)),
        error_code=bindparam("code"),
        error_description=bindparam("description"),
        completed_at=bindparam("completed_at", type_=COMMANDS.c.completed_at.type),
    )
    .returning(*COMMAND_COLUMNS)
)


def record_outcome(
    session: Session,
    command_id: str,
    status: str,
    *,
    response: dict[str, Any] | None = None,
    error_code: str | None = None,
    error_description: str | None = None,
    now: datetime | None = None,
) -> Command | None:
    """Write the command's one outcome unless it already has one; flushed, not committed.

    Returns the command when this call recorded the outcome, None when it was already final
    (the earlier outcome stands).
    """
    params = {
        "command_id": command_id,
        "outcome": status,
        "answer": response,
        "code": error_code,
        "description": error_description,
        "completed_at": now or utcnow(),
    }
    row = session.connection().execute(_RECORD_OUTCOME, params).first()
    return None if row is None else command_from_row(row)


def record_answer(
    session: Session,
    command_id: str,
    response: Any,
    *,
    violations: Sequence[str] = (),
    effects_failed: str | None = None,
    now: datetime | None = None,
) -> Command | None:
    """Record the charger's CALLRESULT and keep its side effects (configuration keys, list
    version, reservations, charging profiles) in the same unit of work; flushed.

    The outcome is the answer's status word (Completed when it has none). An answer that
    breaks the 1.6 schema (`violations`, found by the edge) is still recorded as given, with
    the violations in error_description, and has no side effects; so is an answer whose side
    effects could not be kept in an earlier attempt (`effects_failed`, the reason). Returns
    None when the command already had an outcome.
    """
    notes = []
    if violations:
        notes.append("answer breaks the OCPP 1.6 schema: " + "; ".join(violations))
    if effects_failed:
        notes.append(f"side effects not kept: {effects_failed}")
    recorded = record_outcome(
        session,
        command_id,
        _status_word(response),
        response=authorization_keys.redact_answer(response)
        if isinstance(response, dict)
        else {"answer": response},
        error_description="; ".join(notes) or None,
        now=now,
    )
    if recorded is not None and not notes:
        apply_answer(session, recorded)
    return recorded


def expire_overdue_commands(
    session: Session, *, sent_timeout: float, pending_timeout: float, now: datetime | None = None
) -> list[Command]:
    """Give every stranded command its outcome; flushed. Returns the commands it finished.

    Queued past its TTL -> Expired; Sent with no answer after `sent_timeout` seconds (the node
    holding the socket went away) -> Timeout; Pending after `pending_timeout` seconds (never
    handed to a node) -> Offline.
    """
    now = now or utcnow()
    rules = (
        (
            (Command.status == CommandStatus.QUEUED) & (Command.queue_expires_at <= now),
            CommandStatus.EXPIRED,
            "not delivered before the queue TTL ran out",
        ),
        (
            (Command.status == CommandStatus.SENT)
            & (Command.sent_at < now - timedelta(seconds=sent_timeout)),
            CommandStatus.TIMEOUT,
            "no answer recorded: the node holding the socket went away",
        ),
        (
            (Command.status == CommandStatus.PENDING)
            & (Command.created_at < now - timedelta(seconds=pending_timeout)),
            CommandStatus.OFFLINE,
            "never delivered to a node holding the charger's socket",
        ),
    )
    finished = []
    for condition, status, reason in rules:
        for command_id in session.scalars(select(Command.id).where(condition)):
            command = record_outcome(session, command_id, status, error_description=reason, now=now)
            if command is not None:
                finished.append(command)
    return finished


def _status_word(response: Any) -> str:
    word = response.get("status") if isinstance(response, dict) else None
    if isinstance(word, str) and word and len(word) <= STATUS_WORD_MAX and is_final(word):
        return word
    return CommandStatus.COMPLETED
