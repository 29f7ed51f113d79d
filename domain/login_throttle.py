"""Throttling of failed log-ins, per username and per client address.

Each key (the username, the client address) counts failed log-ins in a fixed window that
opens with its first failure. When any key of an attempt has reached the limit, the attempt
is refused before the password is checked, so a throttled guess costs nothing and tells
nothing. A log-in that succeeds takes back only its own count: it never clears failures
made by someone else, so an attacker cannot reset the count on a username by logging into
an account of their own from the same address, nor a user's success on another address.
The counter behind it is a port: in-process embedded, Redis-backed across nodes.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from domain.errors import PermissionDenied, TooManyAttempts

# IPv6 clients usually hold a whole /64, so its addresses count as one client.
IPV6_CLIENT_PREFIX = 64


class AttemptCounter(Protocol):
    def reserve(self, keys: Sequence[str], limit: int, window_seconds: int) -> float | None:
        """Atomically: when a key has `limit` counts, count nothing and return the seconds
        until the first such key's window closes; else count one on every key (a new key's
        window opens now) and return None."""

    def release(self, keys: Sequence[str]) -> None:
        """Take one count back from every key still in its window."""


@dataclass(frozen=True)
class LoginThrottle:
    counter: AttemptCounter
    max_failures: int
    window_seconds: int

    @contextmanager
    def attempt(self, username: str, address: str | None) -> Iterator[None]:
        """Guard one log-in: raises TooManyAttempts (with `retry_after`) before the body when
        the username or the address has `max_failures` failures in the window; the body's
        PermissionDenied counts as a failure, anything else (success, an internal error)
        does not."""
        keys = [f"user:{username.casefold()}"]
        if address:
            keys.append(f"address:{client_key(address)}")
        wait = self.counter.reserve(keys, self.max_failures, self.window_seconds)
        if wait is not None:
            raise TooManyAttempts(
                "too many failed log-ins for this user or from this address; try again later",
                retry_after=max(1, math.ceil(wait)),
            )
        try:
            yield
        except PermissionDenied:
            raise
        except BaseException:
            self.counter.release(keys)
            raise
        self.counter.release(keys)


def client_key(address: str) -> str:
    """The address an IPv4 client is counted by, or the /64 network of an IPv6 one."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)
