"""Domain events: what happened, published after the commit that made it true, and the small
dispatcher that hands each event to its subscribers (event stream, outbox dispatch, metrics).

A service that causes an event inside a unit of work records it on the session
(`record_event`); the edge that owns the unit of work publishes the session's events once it
has committed. A subscriber that fails is logged and never fails the others or the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ocpp.v16.enums import Action
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChargerConnected:
    charger_name: str


@dataclass(frozen=True)
class ChargerDisconnected:
    charger_name: str
    reason: str | None


@dataclass(frozen=True)
class ChargerChanged:
    """An operator changed or deleted the charger's record: a socket holding its snapshot
    (domain/services/charger_snapshots.py) takes it again, on whichever node holds it."""

    charger_name: str


@dataclass(frozen=True)
class BootAnswered:
    charger_name: str
    registration_status: str


@dataclass(frozen=True)
class ConnectorStatusReported:
    charger_name: str
    connector_id: int
    ocpp_status: str
    error_code: str


@dataclass(frozen=True)
class TransactionStarted:
    charger_name: str
    transaction_id: int
    connector_id: int
    id_tag: str


@dataclass(frozen=True)
class TransactionStopped:
    charger_name: str
    transaction_id: int
    reason: str | None


@dataclass(frozen=True)
class BackgroundWorkRecorded:
    """A unit of work wrote an outbox row: dispatch it once the commit is done."""

    task_name: str


@dataclass(frozen=True)
class CallAnswered:
    """A charger's CALL got its answer: CALLRESULT or a CALLERROR code."""

    charger_name: str
    action: str | None
    answer: str
    seconds: float


@dataclass(frozen=True)
class CallConfSent:
    """A CALL's `.conf` is on the charger's socket (what must follow the answer, not precede
    it: e.g. queued commands after an accepting BootNotification.conf). Published for every
    answer to an action in ALWAYS_PUBLISHED and for the first other answer on each socket:
    nothing follows a later one (web/relay/delivery.py), so a Heartbeat costs no event."""

    ALWAYS_PUBLISHED: ClassVar[frozenset[str]] = frozenset(
        {Action.boot_notification, Action.sign_certificate}
    )

    charger_name: str
    action: str
    conf: dict[str, Any]


Event = Any
E = TypeVar("E")

# The session's events: recorded inside its unit of work, published after the commit.
_EVENTS = "voltline.events"


def record_event(session: Session, event: Event) -> None:
    """Note `event` as caused by the session's unit of work (published after its commit)."""
    session.info.setdefault(_EVENTS, []).append(event)


def recorded_events(session: Session) -> list[Event]:
    """The events `record_event` noted on this session, oldest first."""
    return list(session.info.get(_EVENTS, ()))


def take_recorded_events(session: Session) -> list[Event]:
    """The events noted on this session since the last take, which the session forgets
    (one item's events when several units of work share a session: domain/group_commit)."""
    return session.info.pop(_EVENTS, [])


class EventBus:
    """Hands each published event to the subscribers of its type, in subscription order."""

    def __init__(self) -> None:
        # Tuples, replaced on subscribe: publishing (per message) iterates without a copy.
        self._subscribers: dict[type, tuple[Callable[[Any], None], ...]] = {}

    def subscribe(self, event_type: type[E], subscriber: Callable[[E], None]) -> None:
        self._subscribers[event_type] = (*self._subscribers.get(event_type, ()), subscriber)

    def publish(self, events: Iterable[Event]) -> None:
        """Call every subscriber of every event; a failing subscriber is logged, not raised."""
        for event in events:
            for subscriber in self._subscribers.get(type(event), ()):
                try:
                    subscriber(event)
                except Exception:  # noqa: BLE001 - one subscriber must not fail the others
                    log.exception(
                        "event subscriber failed",
                        extra={"event": type(event).__name__, "charger_id": _charger(event)},
                    )


def _charger(event: Event) -> str | None:
    return getattr(event, "charger_name", None)
