"""The embedded relay: the same interface as Redis, inside one process (no REDIS_URL)."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

from adapters.relay.transport import Envelope, EventSubscription, RelayTransport

EVENT_BACKLOG = 1000  # events a slow reader may fall behind by before it misses some


class LocalReplies:
    """Reply addresses inside this process: one waiter, at most one outcome each. The
    embedded transport's replies, and a web node's for commands it sends on its own sockets
    (the same-node shortcut: no broker round trip)."""

    def __init__(self):
        # Each instance its own prefix: an address says which process-local mailboxes own it.
        self._prefix = f"local-{uuid.uuid4().hex[:8]}:"
        self._lock = threading.Lock()
        self._mailboxes: dict[str, queue.Queue] = {}

    def address(self, command_id: str) -> str:
        address = f"{self._prefix}{command_id}:{uuid.uuid4().hex}"
        with self._lock:
            self._mailboxes[address] = queue.Queue(maxsize=1)
        return address

    def push(self, address: str, outcome: Any) -> bool:
        """Put `outcome` in the mailbox; False when `address` is not one of this instance's
        (a broker's address, say); True otherwise, also when its waiter has gone."""
        if not address.startswith(self._prefix):
            return False
        with self._lock:
            mailbox = self._mailboxes.get(address)
        if mailbox is not None:
            try:
                mailbox.put_nowait(outcome)
            except queue.Full:
                pass  # one outcome per command: a second push has nothing new to say
        return True

    def wait(self, address: str, timeout: float) -> Any | None:
        """The outcome pushed to `address`, or None after `timeout` seconds; the mailbox
        closes either way."""
        with self._lock:
            mailbox = self._mailboxes.get(address)
        if mailbox is None:
            return None
        try:
            return mailbox.get(timeout=timeout)
        except queue.Empty:
            return None
        finally:
            with self._lock:
                self._mailboxes.pop(address, None)


class InProcessTransport(RelayTransport):
    def __init__(self):
        self._lock = threading.Lock()
        self._listeners: dict[str, Callable[[Envelope], None]] = {}
        self._replies = LocalReplies()
        self._subscriptions: set[_LocalSubscription] = set()

    def publish(self, node_id: str, envelope: Envelope) -> int:
        deliver = self._listeners.get(node_id)
        if deliver is None:
            return 0
        deliver(envelope)
        return 1

    def listen(self, node_id: str, deliver: Callable[[Envelope], None]) -> None:
        self._listeners[node_id] = deliver

    def listening(self, node_id: str) -> bool:
        return node_id in self._listeners

    def reply_address(self, command_id: str) -> str:
        return self._replies.address(command_id)

    def push_outcome(self, reply_to: str, outcome: dict[str, Any]) -> None:
        self._replies.push(reply_to, outcome)

    def wait_outcome(self, reply_to: str, timeout: float) -> dict[str, Any] | None:
        return self._replies.wait(reply_to, timeout)

    def publish_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.offer(event)

    def subscribe_events(self) -> EventSubscription:
        subscription = _LocalSubscription(self)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: _LocalSubscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def close(self) -> None:
        with self._lock:
            self._listeners.clear()
            self._subscriptions.clear()


class _LocalSubscription(EventSubscription):
    def __init__(self, transport: InProcessTransport):
        self._transport = transport
        self._events: queue.Queue = queue.Queue(maxsize=EVENT_BACKLOG)

    def offer(self, event: dict[str, Any]) -> None:
        try:
            self._events.put_nowait(event)
        except queue.Full:
            pass  # like Redis pub/sub: a reader that stopped reading misses events

    def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._transport.unsubscribe(self)
