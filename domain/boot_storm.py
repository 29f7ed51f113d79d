"""Boot-storm control: how many BootNotifications a node answers Accepted per second.

After a power cut thousands of chargers boot at once. Answering every one Accepted
invites a flood of StatusNotifications and transactions at the same moment; instead,
boots beyond the rate are answered Pending with a jittered retry interval, which
spreads the herd out. The rate adapts to what the node can take: it halves while calls
take longer than `target_latency` to answer and grows back (a tenth, at least one boot/s,
per adjustment) while they are quick, never above the configured ceiling. A healthy node
thus accepts a reconnecting fleet as fast as it serves it. Pure Python: the clock and the
randomness are passed in.
"""

from __future__ import annotations

import math
import random
import threading

# Chargers told to wait are spread over at least this many seconds.
MIN_RETRY_SECONDS = 10
TARGET_LATENCY_SECONDS = 0.25  # answers slower than this mean the node is saturated
ADJUST_EVERY_SECONDS = 0.5
MIN_RATE = 1.0
_SMOOTHING = 0.2  # weight of the newest latency in the moving average


class BootStormGuard:
    """A token bucket of `rate` boots per second (burst: one second's worth of the ceiling);
    `rate` starts at `ceiling_per_second` and follows the answer latency `observe`d."""

    def __init__(
        self,
        ceiling_per_second: float,
        rng: random.Random | None = None,
        target_latency: float = TARGET_LATENCY_SECONDS,
    ):
        self.ceiling = ceiling_per_second
        self.rate = ceiling_per_second
        self.target_latency = target_latency
        self._tokens = max(1.0, ceiling_per_second)
        self._last: float | None = None
        self._deferred = 0.0
        self._latency = 0.0
        self._adjusted: float | None = None
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def observe(self, answer_seconds: float, monotonic_now: float) -> None:
        """One call took `answer_seconds` to answer: adapt the rate (at most every
        ADJUST_EVERY_SECONDS) to the moving average of those times."""
        with self._lock:
            self._latency += _SMOOTHING * (answer_seconds - self._latency)
            if self._adjusted is not None and monotonic_now - self._adjusted < ADJUST_EVERY_SECONDS:
                return
            self._adjusted = monotonic_now
            if self._latency > self.target_latency:
                self.rate = max(MIN_RATE, min(self.rate, self.ceiling) / 2)
            else:
                self.rate = min(self.ceiling, self.rate + max(MIN_RATE, self.rate / 10))

    def admit(self, monotonic_now: float) -> int | None:
        """None when this boot may be Accepted now; else seconds the charger should wait."""
        with self._lock:
            if self._last is not None:
                elapsed = max(0.0, monotonic_now - self._last)
                burst = max(1.0, self.rate)  # one second's worth
                self._tokens = min(burst, self._tokens + elapsed * self.rate)
                # Deferred boots come back; forget them as the bucket refills.
                self._deferred = max(0.0, self._deferred - elapsed * self.rate)
            self._last = monotonic_now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            self._deferred += 1.0
            base = max(MIN_RETRY_SECONDS, math.ceil(self._deferred / self.rate))
            return self._rng.randint(base, 2 * base)
