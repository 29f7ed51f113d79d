"""Central-system commands: the row first, then exactly one recorded outcome.

Life of a command: Pending (row written) -> Sent (CALL on the wire) -> outcome; or
Pending -> Queued (charger offline and a queue TTL given) -> Sent when it connects, or Expired.
Outcomes: the charger's status word (Accepted, Rejected, NotSupported, ...; Completed when its
answer carries none) with the full answer, CallError (code, description), Timeout, Offline,
Expired. Every move out of an open state is a conditional UPDATE: the first outcome wins, so a
late answer can never overwrite a Timeout, and a queued command is sent at most once.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from ocpp.v16.enums import Action
from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from domain.clock import utcnow
from domain.errors import Conflict, InvalidInput, NotFound
from domain.models import Charger, Command, CommandStatus, RegistrationStatus, new_uuid
from domain.services import authorization_keys
from domain.services.charger_access import SECURITY_PROFILE_KEY, security_profile
from domain.services.command_actions import command_action

OPEN_STATUSES = (CommandStatus.PENDING, CommandStatus.QUEUED, CommandStatus.SENT)
STATUS_WORD_MAX = 32  # the width of Command.status
# OCPP 1.6 section 4.2: what a central system may not send a charger it answered Pending.
NOT_WHILE_PENDING = frozenset({Action.remote_start_transaction, Action.remote_stop_transaction})

# The statements of every command's life, built once with bind parameters and run on the
# session's connection: building and caching a statement per call cost more CPU than
# running it. Core, not ORM: nothing in the session needs synchronising (readers load a
# command afresh, see `get_command`).
COMMANDS = Command.__table__
_CHARGERS = Charger.__table__
_COMMANDABLE_CHARGER = select(_CHARGERS.c.id, _CHARGERS.c.registration_status).where(
    _CHARGERS.c.name == bindparam("name")
)
_INSERT_COMMAND = insert(COMMANDS)
# A command row as the ORM loads it: its columns and its charger's name.
COMMAND_COLUMNS = (*COMMANDS.c, Command.charger_name.expression.label("charger_name"))
# ORM, built once: the command stays in the caller's session (its charger loadable through
# it). Always read afresh: another node may have written the row meanwhile.
_COMMAND_BY_ID = (
    select(Command)
    .where(Command.id == bindparam("command_id"))
    .execution_options(populate_existing=True)
)
_CLAIM = (
    update(COMMANDS)
    .where(
        COMMANDS.c.id == bindparam("command_id"),
        (COMMANDS.c.status == CommandStatus.PENDING)
        | (
            (COMMANDS.c.status == CommandStatus.QUEUED)
            & (COMMANDS.c.queue_expires_at > bindparam("now"))
        ),
    )
    .values(status=CommandStatus.SENT, sent_at=bindparam("now"))
)
_QUEUE = (
    update(COMMANDS)
    .where(
        COMMANDS.c.id == bindparam("command_id"),
        COMMANDS.c.status == CommandStatus.PENDING,
        COMMANDS.c.queue_expires_at.is_not(None),
    )
    .values(status=CommandStatus.QUEUED)
)


def is_final(status: str) -> bool:
    return status not in OPEN_STATUSES


def create_command(
    session: Session,
    charger_name: str,
    action_name: str,
    payload: Any,
    *,
    requested_by: str | None = None,
    idempotency_key: str | None = None,
    queue_ttl: float | None = None,
    claimed: bool = False,
    now: datetime | None = None,
) -> tuple[Command, bool]:
    """Record a Pending command (flushed, not committed); returns (command, created).
    With `claimed` a new command is recorded Sent at once, as `claim_for_sending` would
    leave it: for a caller about to put its CALL on a socket it holds, after the commit.

    The payload must already have passed the action's OCPP 1.6 schema (the edge checks it).
    An idempotency key that was used before by the same requester returns that command and
    False, and nothing is written. Raises InvalidInput (not a central-system action, bad
    queue TTL), NotFound (charger), Conflict (key used for a different command, a charger
    whose registration is Rejected, or a remote start/stop to a Pending one). A concurrent
    duplicate key surfaces as an IntegrityError at flush; calling again finds the command.

    A ChangeConfiguration(AuthorizationKey) is stored with its value redacted: the new key
    must follow the whitepaper (else InvalidInput), is kept as a hash until the charger
    answers, and is never queued (InvalidInput with a queue TTL). The caller sends the
    payload it gave, not the stored one.
    """
    action = command_action(action_name)
    if action is None:
        raise InvalidInput(f"{action_name!r} is not an OCPP 1.6 central-system command")
    if queue_ttl is not None and queue_ttl <= 0:
        raise InvalidInput("queue_ttl must be a positive number of seconds")
    scoped_key = None if idempotency_key is None else f"{requested_by or ''}:{idempotency_key}"
    key_change = authorization_keys.is_key_change(action, payload)
    if key_change and queue_ttl is not None:
        raise InvalidInput("a new AuthorizationKey is never queued: send it while connected")
    if _is_profile_change(action, payload):
        security_profile(payload.get("value"))
    stored_payload = authorization_keys.redact(action, payload)
    charger_id = _commandable_charger(session, charger_name, action)
    existing = _earlier_command(session, scoped_key, charger_id, action, stored_payload)
    if existing is not None:
        return existing, False
    now = now or utcnow()
    row = {
        "id": new_uuid(),
        "charger_id": charger_id,
        "action": str(action),
        "payload": stored_payload,
        "status": CommandStatus.SENT if claimed else CommandStatus.PENDING,
        "sent_at": now if claimed else None,
        "error_code": None,
        "error_description": None,
        "completed_at": None,
        "requested_by": requested_by,
        "idempotency_key": scoped_key,
        "queue_expires_at": None if queue_ttl is None else now + timedelta(seconds=queue_ttl),
        "created_at": now,
    }
    if key_change:
        charger = session.get(Charger, charger_id)
        authorization_keys.begin_key_change(charger, row["id"], payload.get("value", ""))
    # A Core INSERT (no ORM flush of a new object); the caller gets the row as written.
    # `response` is left out: a JSON column given None would store JSON null, not NULL.
    session.connection().execute(_INSERT_COMMAND, row)
    return _detached(Command(**row, response=None, charger_name=charger_name)), True


def command_from_row(row: Row) -> Command:
    """The command of a row of COMMAND_COLUMNS (a statement's RETURNING, say), detached as
    if loaded by a session that has closed."""
    return _detached(Command(**row._mapping))


def _detached(command: Command) -> Command:
    make_transient_to_detached(command)
    return command


def _commandable_charger(session: Session, charger_name: str, action: str) -> int:
    """The charger's id, unless it is unknown (NotFound), Rejected, or Pending for a remote
    start/stop (Conflict)."""
    charger = session.connection().execute(_COMMANDABLE_CHARGER, {"name": charger_name}).first()
    if charger is None:
        raise NotFound(f"charger {charger_name!r} not found")
    if charger.registration_status == RegistrationStatus.REJECTED:
        # OCPP 1.6 section 4.2.1: the central system initiates no messages to a charger whose
        # BootNotification it rejected.
        raise Conflict(f"charger {charger_name!r} is Rejected: it may not be sent commands")
    if charger.registration_status == RegistrationStatus.PENDING and action in NOT_WHILE_PENDING:
        raise Conflict(
            f"charger {charger_name!r} is Pending: OCPP 1.6 section 4.2 allows no {action} "
            "until its registration is Accepted"
        )
    return charger.id


def _earlier_command(
    session: Session, scoped_key: str | None, charger_id: int, action: str, payload: Any
) -> Command | None:
    """The command recorded before under this idempotency key; Conflict when that one was
    a different command."""
    if scoped_key is None:
        return None
    existing = session.scalar(select(Command).where(Command.idempotency_key == scoped_key))
    if existing is not None and (existing.charger_id, existing.action, existing.payload) != (
        charger_id,
        action,
        payload,
    ):
        raise Conflict("Idempotency-Key was already used for a different command")
    return existing


def get_command(session: Session, command_id: str) -> Command:
    """The command with this id, read afresh; raises NotFound."""
    command = session.execute(_COMMAND_BY_ID, {"command_id": command_id}).scalar()
    if command is None:
        raise NotFound(f"command {command_id!r} not found")
    return command


def claim_for_sending(session: Session, command_id: str, now: datetime | None = None) -> bool:
    """Move a Pending (or still-valid Queued) command to Sent; False if it may not be sent.

    Conditional, so two nodes (or a retry and the queue) never send the same command twice.
    Flushed, not committed: commit before putting the CALL on the wire.
    """
    params = {"command_id": command_id, "now": now or utcnow()}
    return session.connection().execute(_CLAIM, params).rowcount == 1


def queue_command(session: Session, command_id: str) -> bool:
    """Park a Pending command that has a queue TTL until its charger connects; flushed.

    True when the command is (now) waiting in the queue; False when it has no TTL or has
    moved on (sent, or finished).
    """
    if session.connection().execute(_QUEUE, {"command_id": command_id}).rowcount == 1:
        return True
    return get_command(session, command_id).status == CommandStatus.QUEUED


_QUEUED = (
    select(Command.__table__.c.id, Charger.__table__.c.name)
    .join(Charger.__table__, Charger.__table__.c.id == Command.__table__.c.charger_id)
    .where(
        Charger.__table__.c.name.in_(bindparam("charger_names", expanding=True)),
        Charger.__table__.c.registration_status == RegistrationStatus.ACCEPTED,
        Command.__table__.c.status == CommandStatus.QUEUED,
        Command.__table__.c.queue_expires_at > bindparam("now"),
    )
    .order_by(Command.__table__.c.created_at, Command.__table__.c.id)
)


def queued_commands(session: Session, charger_name: str, now: datetime | None = None) -> list[str]:
    """Ids of the charger's queued, unexpired commands, oldest first; none while its
    registration is not Accepted (they wait for the boot that accepts it)."""
    return queued_commands_of(session, [charger_name], now).get(charger_name, [])


def queued_commands_of(
    session: Session, charger_names: Collection[str], now: datetime | None = None
) -> dict[str, list[str]]:
    """`queued_commands` of many chargers in one query: charger name -> ids, oldest first
    (chargers with none are left out). Reads only."""
    # Built once, run on the connection: every charger's accepted boot asks (a reconnect
    # storm asks thousands of times a second), and nearly always finds none.
    params = {"charger_names": list(charger_names), "now": now or utcnow()}
    queued: dict[str, list[str]] = {}
    for command_id, charger_name in session.connection().execute(_QUEUED, params):
        queued.setdefault(charger_name, []).append(command_id)
    return queued


def _is_profile_change(action: str, payload: Any) -> bool:
    return (
        action == Action.change_configuration
        and isinstance(payload, dict)
        and payload.get("key") == SECURITY_PROFILE_KEY
    )
