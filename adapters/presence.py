"""Which node holds which charger's socket (presence), for the relay and heartbeat sweeps.

`RedisPresence` keeps `voltline:presence:{name}` = node id with a TTL that the holding
node refreshes while the socket lives; a node that dies simply lets its keys expire.
`InProcessPresence` is the embedded (single-process) twin with the same interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Protocol

import redis

from adapters.redis_pools import waiting_client
from domain.settings import Settings

KEY_PREFIX = "voltline:presence:"

# Delete the key only while it still names this node (a newer claim elsewhere wins).
_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
# Extend the TTL only while the key still names this node.
_REFRESH_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# The periodic refresh of live sockets: extend our claim, or claim again a key that has
# vanished (Redis restarted or lost it), but never take one another node holds now.
_REFRESH_OR_RECLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
    return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if not holder then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
end
return 0
"""


def presence_key(charger_name: str) -> str:
    return f"{KEY_PREFIX}{charger_name}"


class Presence(Protocol):
    node_id: str

    def claim(self, charger_name: str) -> None: ...
    def refresh(self, charger_name: str) -> bool: ...
    def refresh_many(self, charger_names: Iterable[str]) -> None: ...
    def release(self, charger_name: str) -> bool: ...
    def release_many(self, charger_names: list[str]) -> list[bool]: ...
    def node_of(self, charger_name: str) -> str | None: ...


class RedisPresence:
    def __init__(self, client: redis.Redis, node_id: str, ttl: int):
        self.client = client
        self.node_id = node_id
        self.ttl = ttl
        self._release = client.register_script(_RELEASE_IF_OURS)
        self._refresh = client.register_script(_REFRESH_IF_OURS)
        self._refresh_or_reclaim = client.register_script(_REFRESH_OR_RECLAIM)

    def claim(self, charger_name: str) -> None:
        """This node now holds the charger's socket (overrides any other node's claim)."""
        self.client.set(presence_key(charger_name), self.node_id, ex=self.ttl)

    def refresh(self, charger_name: str) -> bool:
        """Extend our claim; False when another node (or nobody) holds it now."""
        return bool(self._refresh(keys=[presence_key(charger_name)], args=[self.node_id, self.ttl]))

    def refresh_many(self, charger_names: Iterable[str]) -> None:
        """Keep the claims of this node's live sockets, re-claiming any that vanished."""
        pipeline = self.client.pipeline(transaction=False)
        for name in charger_names:
            self._refresh_or_reclaim(
                keys=[presence_key(name)], args=[self.node_id, self.ttl], client=pipeline
            )
        pipeline.execute()

    def release(self, charger_name: str) -> bool:
        """Drop our claim; False (and nothing deleted) when it is no longer ours."""
        return bool(self._release(keys=[presence_key(charger_name)], args=[self.node_id]))

    def release_many(self, charger_names: list[str]) -> list[bool]:
        """`release` for each name, all in one round trip."""
        pipeline = self.client.pipeline(transaction=False)
        for name in charger_names:
            self._release(keys=[presence_key(name)], args=[self.node_id], client=pipeline)
        return [bool(released) for released in pipeline.execute()]

    def node_of(self, charger_name: str) -> str | None:
        value = self.client.get(presence_key(charger_name))
        return value.decode() if isinstance(value, bytes) else value


class InProcessPresence:
    """Presence for one process (embedded mode): a dict with expiry times."""

    def __init__(self, node_id: str, ttl: int, clock=time.monotonic):
        self.node_id = node_id
        self.ttl = ttl
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, charger_name: str) -> None:
        with self._lock:
            self._expiry[charger_name] = self._clock() + self.ttl

    def refresh(self, charger_name: str) -> bool:
        with self._lock:
            if self._held(charger_name):
                self._expiry[charger_name] = self._clock() + self.ttl
                return True
            return False

    def refresh_many(self, charger_names: Iterable[str]) -> None:
        for name in charger_names:
            self.refresh(name)

    def release(self, charger_name: str) -> bool:
        with self._lock:
            held = self._held(charger_name)
            self._expiry.pop(charger_name, None)
            return held

    def release_many(self, charger_names: list[str]) -> list[bool]:
        return [self.release(name) for name in charger_names]

    def node_of(self, charger_name: str) -> str | None:
        with self._lock:
            return self.node_id if self._held(charger_name) else None

    def _held(self, charger_name: str) -> bool:
        expiry = self._expiry.get(charger_name)
        return expiry is not None and expiry > self._clock()


def build_presence(settings: Settings) -> Presence:
    """Redis presence when REDIS_URL is set, else the in-process one."""
    if settings.redis_url is None:
        return InProcessPresence(settings.node_id, settings.presence_ttl)
    client = waiting_client(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    return RedisPresence(client, settings.node_id, settings.presence_ttl)
