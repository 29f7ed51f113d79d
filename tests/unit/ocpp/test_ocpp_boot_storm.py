"""Boot-storm control: boots beyond the rate are told to come back later, spread out."""

import random

from domain.boot_storm import MIN_RETRY_SECONDS, BootStormGuard


def test_boots_within_the_rate_are_admitted():
    guard = BootStormGuard(5, random.Random(1))
    assert [guard.admit(100.0 + i * 0.2) for i in range(20)] == [None] * 20


def test_a_burst_beyond_the_rate_is_deferred_with_jittered_intervals():
    guard = BootStormGuard(10, random.Random(7))
    answers = [guard.admit(50.0) for _ in range(200)]
    assert answers[:10] == [None] * 10
    deferred = answers[10:]
    assert all(isinstance(wait, int) and wait >= MIN_RETRY_SECONDS for wait in deferred)
    assert len(set(deferred)) > 10, "intervals must be spread, not one synchronized retry"
    # 190 chargers at 10/s need about 19 s: later ones are sent further out.
    assert max(deferred) >= 19


def test_the_bucket_refills_with_time():
    guard = BootStormGuard(2, random.Random(3))
    assert guard.admit(0.0) is None and guard.admit(0.0) is None
    assert guard.admit(0.0) is not None
    assert guard.admit(1.0) is None
