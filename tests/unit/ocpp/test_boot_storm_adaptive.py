"""Boot-storm control that follows what the node can take: the admission rate halves while
answers are slow, grows back while they are quick, and never passes the ceiling."""

import random

from domain.boot_storm import ADJUST_EVERY_SECONDS, MIN_RATE, BootStormGuard


def settle(guard, latency, seconds, start=0.0):
    """Feed `latency` answers every tenth of a second for `seconds`; returns the end time."""
    now = start
    for _ in range(round(seconds * 10)):
        guard.observe(latency, now)
        now += 0.1
    return now


def test_a_healthy_node_admits_at_its_ceiling():
    guard = BootStormGuard(400, random.Random(1))
    settle(guard, 0.002, 5)
    assert guard.rate == 400
    assert [guard.admit(10.0) for _ in range(400)] == [None] * 400


def test_slow_answers_halve_the_rate_down_to_one_boot_per_second():
    guard = BootStormGuard(400, random.Random(1))
    settle(guard, 2.0, 1)
    assert MIN_RATE < guard.rate <= 100
    settle(guard, 2.0, 10, start=1.0)
    assert guard.rate == MIN_RATE


def test_a_slow_node_defers_boots_a_healthy_one_would_accept():
    guard = BootStormGuard(400, random.Random(1))
    end = settle(guard, 2.0, 3)
    admitted = [guard.admit(end + 1 + i / 100) for i in range(100)]  # 100 boots in a second
    assert admitted.count(None) < 20
    assert all(wait >= 10 for wait in admitted if wait is not None)


def test_the_rate_recovers_once_answers_are_quick_again():
    guard = BootStormGuard(100, random.Random(1))
    end = settle(guard, 2.0, 5)
    assert guard.rate == MIN_RATE
    settle(guard, 0.001, 60, start=end)
    assert guard.rate == 100


def test_the_rate_moves_at_most_once_per_adjustment_period():
    guard = BootStormGuard(400, random.Random(1))
    for _ in range(50):
        guard.observe(5.0, 0.0)
    assert guard.rate == 200
    guard.observe(5.0, ADJUST_EVERY_SECONDS)
    assert guard.rate == 100
