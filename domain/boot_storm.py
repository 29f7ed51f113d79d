"""Boot-storm control: how many BootNotifications a node answers Accepted per second.

After a power cut thousands of chargers boot at once. Answering every one Accepted
invites a flood of StatusNotifications and transactions at the same moment; instead,
boots beyond the rate are answered Pending with a jittered retry interval, which
spreads the herd out. Pure Python: the clock and the randomness are passed in.
"""

from __future__ import annotations

import math
import random
import threading

# Chargers told to wait are spread over at least this many seconds.
MIN_RETRY_SECONDS = 10


class BootStormGuard:
    """A token bucket of `rate` boots per second (burst: one second's worth)."""

    def __init__(self, rate_per_second: float, rng: random.Random | None = None):
        self.rate = rate_per_second
        self.capacity = max(1.0, rate_per_second)
        self._tokens = self.capacity
        self._last: float | None = None
        self._deferred = 0.0
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def admit(self, monotonic_now: float) -> int | None:
        """None when this boot may be Accepted now; else seconds the charger should wait."""
        with self._lock:
            if self._last is not None:
                elapsed = max(0.0, monotonic_now - self._last)
                self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
                # Deferred boots come back; forget them as the bucket refills.
                self._deferred = max(0.0, self._deferred - elapsed * self.rate)
            self._last = monotonic_now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            self._deferred += 1.0
            base = max(MIN_RETRY_SECONDS, math.ceil(self._deferred / self.rate))
            return self._rng.randint(base, 2 * base)
