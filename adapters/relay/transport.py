"""The relay's one interface: envelopes to the node holding a socket, outcomes back, events out.

Two implementations: `RedisTransport` (REDIS_URL set: any number of web nodes) and
`InProcessTransport` (embedded mode: one process). Callers never know which they have.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class EnvelopeKind(StrEnum):
    COMMAND = "command"
    # An operator changed or deleted the charger: its socket takes its snapshot again.
    CHARGER_CHANGED = "charger_changed"


@dataclass(frozen=True)
class Envelope:
    """A command (or a charger change) on its way to the node that holds the charger's
    socket."""

    command_id: str
    charger_id: str  # the charge point identity (Charger.name)
    action: str
    payload: dict[str, Any]
    reply_to: str | None = None
    kind: str = EnvelopeKind.COMMAND

    @classmethod
    def charger_changed(cls, charger_id: str) -> Envelope:
        return cls("", charger_id, "", {}, kind=EnvelopeKind.CHARGER_CHANGED)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        return cls(**json.loads(text))


class EventSubscription(ABC):
    """One reader of the event stream (a dashboard's server-sent events connection)."""

    @abstractmethod
    def get(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None when `timeout` seconds pass without one."""

    @abstractmethod
    def close(self) -> None: ...


class RelayTransport(ABC):
    @abstractmethod
    def publish(self, node_id: str, envelope: Envelope) -> int:
        """Hand `envelope` to node `node_id`; how many listeners got it (0: nobody listens)."""

    @abstractmethod
    def listen(self, node_id: str, deliver: Callable[[Envelope], None]) -> None:
        """Call `deliver` for every envelope published to `node_id`, from a background loop
        that outlives broker restarts. `deliver` must return quickly."""

    @abstractmethod
    def listening(self, node_id: str) -> bool:
        """True while this process's subscription for `node_id` is live."""

    @abstractmethod
    def reply_address(self, command_id: str) -> str:
        """A fresh address on which one waiter will receive the command's outcome."""

    @abstractmethod
    def push_outcome(self, reply_to: str, outcome: dict[str, Any]) -> None:
        """Wake the waiter at `reply_to`; never raises for a missing broker (the waiter then
        reads the command's row when its wait ends)."""

    @abstractmethod
    def wait_outcome(self, reply_to: str, timeout: float) -> dict[str, Any] | None:
        """The outcome pushed to `reply_to`, or None after `timeout` seconds."""

    @abstractmethod
    def publish_event(self, event: dict[str, Any]) -> None:
        """Broadcast an event to every subscription; never raises for a missing broker."""

    @abstractmethod
    def subscribe_events(self) -> EventSubscription: ...

    @abstractmethod
    def close(self) -> None: ...
