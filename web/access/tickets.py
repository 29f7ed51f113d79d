"""Event-stream tickets: EventSource cannot send an Authorization header, and an access token
in a URL ends up in logs and browser history. So a client trades its bearer token for a
ticket (POST /api/events/ticket/) that is random, lives TICKET_SECONDS, opens exactly one
stream and grants nothing else. Only a hash of the ticket is stored: in-process on the
embedded default, in Redis otherwise (the stream may open on another node)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass

import redis

TICKET_SECONDS = 60
KEY_PREFIX = "voltline:events-ticket:"


@dataclass(frozen=True)
class Ticket:
    """What a redeemed ticket grants: a stream for `user_id` until `until` (epoch seconds,
    the expiry of the access token it was issued for)."""

    user_id: int
    until: float


class InProcessTicketStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, float]] = {}

    def put(self, key: str, value: str, seconds: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            self._entries[key] = (value, now + seconds)

    def take(self, key: str) -> str | None:
        with self._lock:
            value, expires = self._entries.pop(key, (None, 0.0))
        return value if expires > time.monotonic() else None


class RedisTicketStore:
    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def put(self, key: str, value: str, seconds: int) -> None:
        self._client.set(KEY_PREFIX + key, value, ex=seconds)

    def take(self, key: str) -> str | None:
        value = self._client.getdel(KEY_PREFIX + key)
        return None if value is None else value.decode()


class EventTickets:
    def __init__(self, store: InProcessTicketStore | RedisTicketStore):
        self._store = store

    def issue(self, user_id: int, until: float) -> str:
        """A new ticket for one event stream of `user_id`, valid TICKET_SECONDS."""
        ticket = secrets.token_urlsafe(32)
        grant = json.dumps({"user_id": user_id, "until": until})
        self._store.put(_digest(ticket), grant, TICKET_SECONDS)
        return ticket

    def redeem(self, ticket: str) -> Ticket | None:
        """What `ticket` grants, once: None when it is unknown, used or expired."""
        grant = self._store.take(_digest(ticket))
        return None if grant is None else Ticket(**json.loads(grant))


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()
