"""The login throttle's counters: in-process (embedded, one worker) or in Redis (shared by
every worker and node)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "voltline:login-failures:"

# KEYS: counters; ARGV: limit, window in ms. Returns 0 when counted, else ms to wait.
_RESERVE = """
local wait = 0
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[1]) then
    wait = math.max(wait, redis.call('PTTL', key))
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 0
"""
_RELEASE = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
"""


class InProcessAttemptCounter:
    """Counters in this process's memory (the embedded default runs one worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def reserve(self, keys: Sequence[str], limit: int, window_seconds: int) -> float | None:
        now = time.monotonic()
        with self._lock:
            self._forget_closed(now)
            waits = [
                closes - now
                for count, closes in (self._counts.get(key, (0, now)) for key in keys)
                if count >= limit
            ]
            if waits:
                return max(waits)
            for key in keys:
                count, closes = self._counts.get(key, (0, now + window_seconds))
                self._counts[key] = (count + 1, closes)
            return None

    def release(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                if key in self._counts:
                    count, closes = self._counts[key]
                    self._counts[key] = (max(0, count - 1), closes)

    def _forget_closed(self, now: float) -> None:
        for key in [key for key, (_, closes) in self._counts.items() if closes <= now]:
            del self._counts[key]


class RedisAttemptCounter:
    """Counters in Redis, so every worker and node sees the same failures. If Redis cannot
    be reached the attempt is let through (logged): an outage must not lock operators out."""

    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._reserve = self._client.register_script(_RESERVE)
        self._release = self._client.register_script(_RELEASE)

    def reserve(self, keys: Sequence[str], limit: int, window_seconds: int) -> float | None:
        try:
            wait_ms = self._reserve(keys=_keys(keys), args=[limit, window_seconds * 1000])
        except redis.RedisError as error:
            log.warning("login throttle unavailable, attempt let through", extra={"error": error})
            return None
        return wait_ms / 1000 if wait_ms > 0 else None

    def release(self, keys: Sequence[str]) -> None:
        try:
            self._release(keys=_keys(keys))
        except redis.RedisError as error:
            log.warning("login throttle unavailable, count not released", extra={"error": error})


def _keys(keys: Sequence[str]) -> list[str]:
    return [KEY_PREFIX + key for key in keys]
