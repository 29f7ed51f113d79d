"""Boot-storm control that follows what the node can take: boots are Accepted while the
work in flight is within the backlog bound, however slow the storm makes each answer,
and deferred with a short jittered interval scaled to the backlog above it."""

import random

from domain.boot_storm import (
    MAX_RETRY_SECONDS,
    MEASURE_EVERY_SECONDS,
    MIN_RETRY_SECONDS,
    BootStormGuard,
)


def answer(guard, calls, per_second, start=0.0):
    """`calls` CALLs start together and are answered at `per_second`; returns the end time."""
    for _ in range(calls):
        guard.call_started(start)
    now = start
    for _ in range(calls):
        now += 1 / per_second
        guard.call_finished(now)
    return now


def queue(guard, calls, now):
    for _ in range(calls):
        guard.call_started(now)


def test_a_slow_busy_node_within_its_backlog_bound_accepts_every_boot():
    guard = BootStormGuard(100000, random.Random(1), max_backlog=1024)
    end = answer(guard, 200, per_second=10)  # each answer slow: a storm of handshakes
    queue(guard, 1000, end)  # 100 s of work at that rate, but within the bound
    assert [guard.admit(end) for _ in range(24)] == [None] * 24


def test_boots_beyond_the_backlog_bound_are_deferred_with_short_jittered_intervals():
    guard = BootStormGuard(100000, random.Random(1), max_backlog=1000)
    end = answer(guard, 4000, per_second=1000)
    queue(guard, 2000, end)  # 2 s of work at ~1,000 answers/s
    waits = [guard.admit(end) for _ in range(200)]
    assert None not in waits
    # Back after about two seconds, jittered up to twice that, spread out.
    assert all(2 <= wait <= 6 for wait in waits)
    assert len(set(waits)) > 1


def test_a_larger_backlog_sends_pending_chargers_further_out_up_to_a_bound():
    guard = BootStormGuard(100000, random.Random(2), max_backlog=10)
    end = answer(guard, 1000, per_second=100)
    queue(guard, 50, end)
    soon = guard.admit(end)
    queue(guard, 950, end)
    later = guard.admit(end)
    queue(guard, 100000, end)
    latest = [guard.admit(end) for _ in range(100)]
    assert MIN_RETRY_SECONDS <= soon <= 2 < 10 <= later
    assert max(latest) <= 2 * MAX_RETRY_SECONDS


def test_boots_are_accepted_again_once_the_backlog_drains():
    guard = BootStormGuard(100000, random.Random(3), max_backlog=10)
    end = answer(guard, 1000, per_second=100)
    queue(guard, 200, end)
    assert guard.admit(end) is not None
    for _ in range(200):
        guard.call_finished(end)
    assert guard.in_flight == 0
    assert guard.admit(end) is None


def test_idle_time_does_not_count_against_the_answer_rate():
    guard = BootStormGuard(100)
    answer(guard, 1000, per_second=1000)
    busy_rate = guard.answer_rate
    # One CALL a minute for an hour: the node is idle, not slow.
    for minute in range(1, 61):
        answer(guard, 1, per_second=1000, start=minute * 60.0)
    assert guard.answer_rate >= busy_rate / 2


def test_the_answer_rate_is_measured_over_periods_of_busy_time():
    guard = BootStormGuard(100)
    answer(guard, 10, per_second=1000)  # 10 ms: shorter than one measuring period
    assert guard.answer_rate is None
    answer(guard, 1000, per_second=1000, start=MEASURE_EVERY_SECONDS)
    assert guard.answer_rate > 500
