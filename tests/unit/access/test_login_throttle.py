"""The login throttle's policy and its in-process counter, on a controlled clock; the Redis
counter lets attempts through when Redis cannot be reached."""

from __future__ import annotations

import pytest

from domain.errors import PermissionDenied, TooManyAttempts
from domain.login_throttle import LoginThrottle, client_key
from tests.services import free_port
from web.access import counters
from web.access.counters import InProcessAttemptCounter, RedisAttemptCounter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(counters.time, "monotonic", clock)
    return clock


def fail(throttle: LoginThrottle, username: str = "ada", address: str = "192.0.2.1") -> None:
    with pytest.raises(PermissionDenied), throttle.attempt(username, address):
        raise PermissionDenied("wrong password")


def test_the_window_opened_by_the_first_failure_closes_and_clears_the_count(clock):
    throttle = LoginThrottle(InProcessAttemptCounter(), max_failures=3, window_seconds=60)
    fail(throttle)
    clock.now += 20
    fail(throttle)
    fail(throttle)
    with pytest.raises(TooManyAttempts) as refused, throttle.attempt("ada", "192.0.2.9"):
        pass
    assert refused.value.retry_after == 40  # the window opened 20 s before
    clock.now += 40
    with throttle.attempt("ada", "192.0.2.1"):
        pass


def test_a_success_or_an_internal_error_is_not_counted(clock):
    throttle = LoginThrottle(InProcessAttemptCounter(), max_failures=2, window_seconds=60)
    for _ in range(5):
        with throttle.attempt("ada", "192.0.2.1"):
            pass
        with pytest.raises(RuntimeError), throttle.attempt("ada", "192.0.2.1"):
            raise RuntimeError("database down")
    fail(throttle)
    fail(throttle)
    with pytest.raises(TooManyAttempts), throttle.attempt("ada", "192.0.2.1"):
        pass


def test_usernames_are_counted_without_case(clock):
    throttle = LoginThrottle(InProcessAttemptCounter(), max_failures=2, window_seconds=60)
    fail(throttle, "Ada", "192.0.2.1")
    fail(throttle, "ADA", "192.0.2.2")
    with pytest.raises(TooManyAttempts), throttle.attempt("ada", "192.0.2.3"):
        pass


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_64_network(address, key):
    assert client_key(address) == key


def test_an_unreachable_redis_lets_attempts_through():
    counter = RedisAttemptCounter(f"redis://127.0.0.1:{free_port()}/0")
    assert counter.reserve(["user:ada"], limit=1, window_seconds=60) is None
    assert counter.reserve(["user:ada"], limit=1, window_seconds=60) is None
    counter.release(["user:ada"])
