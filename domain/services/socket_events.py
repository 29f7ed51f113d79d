"""How chargers' sockets open and end (replaced, dropped, closed): the charger's status
(Connected/Disconnected), its StatusLog row (operator history) and its SocketEvent (health).

An opening is committed before the socket serves its first message. An ending is written
behind (`domain.write_behind`): nothing a charger resends, and a crash that loses it loses
the node's sockets too, whose chargers the heartbeat sweep then marks Disconnected.
Statements are built once and run on the session's connection: a storm of reconnecting
chargers runs them thousands of times a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerStatus, SocketEvent, SocketEventKind, StatusLog

_CHARGERS = Charger.__table__
_STATUS_LOG = StatusLog.__table__
_SOCKET_EVENTS = SocketEvent.__table__

_MARK_CONNECTED = (
    update(_CHARGERS)
    .where(_CHARGERS.c.id == bindparam("charger_id"))
    .values(status=ChargerStatus.CONNECTED, last_communication=bindparam("at"))
    .returning(_CHARGERS.c.registration_status, _CHARGERS.c.id_tag)
)
# Only when nothing newer was heard: a later socket of the charger (on this node or on
# another one, whose Connected may be committed before this ending is written) stays
# Connected.
_MARK_DISCONNECTED = (
    update(_CHARGERS)
    .where(
        _CHARGERS.c.name == bindparam("charger_name"),
        or_(
            _CHARGERS.c.last_communication.is_(None),
            _CHARGERS.c.last_communication <= bindparam("at"),
        ),
    )
    .values(status=ChargerStatus.DISCONNECTED)
)
_LOG_STATUS = insert(_STATUS_LOG)
_LOG_SOCKET_EVENT = insert(_SOCKET_EVENTS)


def _insert_for_name(table, values: dict[str, object]):
    """INSERT `values` into `table` for the charger named `charger_name`, nothing when it is
    not registered (deleted meanwhile: a row written behind must not fail its batch)."""
    return insert(table).from_select(
        ["charger_id", *values],
        select(_CHARGERS.c.id, *values.values()).where(
            _CHARGERS.c.name == bindparam("charger_name")
        ),
    )


_LOG_DISCONNECTED = _insert_for_name(
    _STATUS_LOG,
    {
        "timestamp": bindparam("at", type_=_STATUS_LOG.c.timestamp.type),
        "status": literal(ChargerStatus.DISCONNECTED.value, _STATUS_LOG.c.status.type),
        "message": bindparam("reason", type_=_STATUS_LOG.c.message.type),
    },
)
_LOG_SOCKET_END = _insert_for_name(
    _SOCKET_EVENTS,
    {
        "kind": bindparam("kind", type_=_SOCKET_EVENTS.c.kind.type),
        "at": bindparam("at", type_=_SOCKET_EVENTS.c.at.type),
    },
)


@dataclass(frozen=True)
class SocketEnd:
    """A charger's socket ended as `kind` at `at`. `reason` (the StatusLog message) when it
    leaves the charger Disconnected; None when a newer socket of it lives on (replaced)."""

    charger_name: str
    kind: SocketEventKind
    at: datetime
    reason: str | None


def socket_opened(
    session: Session, charger_id: int, now: datetime, node_id: str
) -> tuple[str, str] | None:
    """The charger's socket opened on `node_id`: status Connected, heard from now, a
    StatusLog row and an `opened` SocketEvent. Returns its (registration status, idTag) as
    stored now; None when no charger has id `charger_id`. Commits nothing."""
    connection = session.connection()
    stored = connection.execute(_MARK_CONNECTED, {"charger_id": charger_id, "at": now}).first()
    if stored is None:
        return None
    connection.execute(
        _LOG_STATUS,
        {
            "charger_id": charger_id,
            "connector_id": None,
            "timestamp": now,
            "status": ChargerStatus.CONNECTED,
            "message": f"socket opened on {node_id}",
        },
    )
    connection.execute(
        _LOG_SOCKET_EVENT, {"charger_id": charger_id, "kind": SocketEventKind.OPENED, "at": now}
    )
    return stored.registration_status, stored.id_tag


def record_socket_ends(session: Session, ends: list[SocketEnd]) -> None:
    """Write the endings: every one's SocketEvent; for those with a reason a StatusLog
    Disconnected row, and the status Disconnected unless the charger was heard from after
    it ended. Endings of chargers deleted meanwhile are skipped. Commits nothing."""
    if not ends:
        return
    connection = session.connection()
    connection.execute(
        _LOG_SOCKET_END,
        [{"charger_name": end.charger_name, "kind": end.kind, "at": end.at} for end in ends],
    )
    disconnected = [end for end in ends if end.reason is not None]
    if disconnected:
        connection.execute(
            _MARK_DISCONNECTED,
            [{"charger_name": end.charger_name, "at": end.at} for end in disconnected],
        )
        connection.execute(
            _LOG_DISCONNECTED,
            [
                {"charger_name": end.charger_name, "at": end.at, "reason": end.reason}
                for end in disconnected
            ],
        )
