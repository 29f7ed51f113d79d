"""Boot-storm control: which BootNotifications a node answers Accepted, and when the
others should come back.

After a power cut thousands of chargers boot at once. A Pending boot costs the node as
much as an Accepted one and comes back later, so deferring only pays when the node has
more work waiting than it can soon serve. The control therefore adapts to the backlog the
node actually holds, the CALLs it is answering right now (waiting for the database or
the group commit), rather than to answer latency, which the storm itself inflates while
the node is busy but healthy:
- while that backlog is at most `max_backlog` CALLs, a boot is Accepted (within the
  configured ceiling, a token bucket of `ceiling_per_second` boots per second);
- above it, the boot is answered Pending with a jittered retry interval scaled to the
  backlog: the time the node needs to answer what is waiting at the rate it answers when
  busy (idle time is not counted, so a quiet node before a storm is not taken for a slow
  one), capped at MAX_RETRY_SECONDS.
Pure Python: the clock and the randomness are passed in.
"""

from __future__ import annotations

import math
import random
import threading

# Pending chargers come back after at least this many seconds (jittered up to twice the base).
MIN_RETRY_SECONDS = 1
# CALLs in flight in one worker beyond which boots are deferred. Not a latency: a storm of
# handshakes makes each answer slow on a healthy node too, and a Pending boot costs as much
# as an Accepted one and comes back, so deferring pays only once the backlog itself is what
# must be bounded (greenlets and rows waiting for the database).
MAX_BACKLOG = 1024
# A Pending charger is told to come back once the backlog is answered, at most this late
# (jittered up to twice the base).
MAX_RETRY_SECONDS = 30
MEASURE_EVERY_SECONDS = 0.5  # the busy answer rate is re-estimated this often
_SMOOTHING = 0.5  # weight of the newest period in the answer-rate moving average


class BootStormGuard:
    """Admission of boots by backlog (`call_started`/`call_finished` count CALLs in flight
    and measure how fast they are answered while any is in flight) under a ceiling of
    `ceiling_per_second` boots per second (burst: one second's worth)."""

    def __init__(
        self,
        ceiling_per_second: float,
        rng: random.Random | None = None,
        max_backlog: int = MAX_BACKLOG,
    ):
        self.ceiling = ceiling_per_second
        self.max_backlog = max_backlog
        self.in_flight = 0
        # Answers per second of busy time (None until measured: an unknown node is trusted).
        self.answer_rate: float | None = None
        self._tokens = max(1.0, ceiling_per_second)
        self._last: float | None = None
        self._deferred = 0.0
        self._answered = 0
        self._busy = 0.0  # seconds with CALLs in flight in this measuring period
        self._event: float | None = None  # when in_flight last changed
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def call_started(self, monotonic_now: float) -> None:
        """A CALL entered the pipeline: one more unit of work in flight."""
        with self._lock:
            self._count_busy(monotonic_now)
            self.in_flight += 1

    def call_finished(self, monotonic_now: float) -> None:
        """A CALL was answered (or refused): one fewer in flight; feeds the answer rate."""
        with self._lock:
            self._count_busy(monotonic_now)
            self.in_flight = max(0, self.in_flight - 1)
            self._answered += 1
            if self._busy >= MEASURE_EVERY_SECONDS:
                rate = self._answered / self._busy
                previous = self.answer_rate
                self.answer_rate = (
                    rate if previous is None else previous + _SMOOTHING * (rate - previous)
                )
                self._answered, self._busy = 0, 0.0

    def backlog_seconds(self) -> float:
        """How long the worker needs to answer what is in flight, at its busy answer rate."""
        if self.answer_rate is None:
            return float(MAX_RETRY_SECONDS)  # not measured yet: assume the worst
        return self.in_flight / self.answer_rate

    def _count_busy(self, monotonic_now: float) -> None:
        # Only time with work in flight measures the rate: idle time says nothing of capacity.
        if self._event is not None and self.in_flight > 0:
            self._busy += max(0.0, monotonic_now - self._event)
        self._event = monotonic_now

    def admit(self, monotonic_now: float) -> int | None:
        """None when this boot may be Accepted now; else seconds the charger should wait."""
        with self._lock:
            if self._last is not None:
                elapsed = max(0.0, monotonic_now - self._last)
                burst = max(1.0, self.ceiling)  # one second's worth
                self._tokens = min(burst, self._tokens + elapsed * self.ceiling)
                # Deferred boots come back; forget them as the bucket refills.
                self._deferred = max(0.0, self._deferred - elapsed * self.ceiling)
            self._last = monotonic_now
            if self.in_flight > self.max_backlog:
                return self._jittered(min(MAX_RETRY_SECONDS, self.backlog_seconds()))
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            self._deferred += 1.0
            return self._jittered(self._deferred / self.ceiling)

    def _jittered(self, seconds: float) -> int:
        base = max(MIN_RETRY_SECONDS, math.ceil(seconds))
        return self._rng.randint(base, 2 * base)
