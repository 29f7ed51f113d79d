"""Failed log-ins are throttled per username and per client address (LOGIN_MAX_FAILURES = 10
within LOGIN_WINDOW_SECONDS = 60): the eleventh gets 429 with Retry-After, in-process on the
embedded default and shared through Redis by every app that uses it."""

from __future__ import annotations

import uuid

import pytest

from bootstrap import create_app
from domain.services.users import ensure_user
from tests.conftest import make_settings

PASSWORD = "right-password-1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def random_address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def add_user(app, username: str) -> None:
    with app.extensions["voltline.db"].unit_of_work() as session:
        ensure_user(session, username, PASSWORD, "viewer")


def log_in(app, username: str, password: str, address: str = "127.0.0.1"):
    return app.test_client().post(
        "/api/token/",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def assert_throttled(answer, window: int = 60) -> None:
    assert answer.status_code == 429, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert 1 <= int(answer.headers["Retry-After"]) <= window


@pytest.fixture
def user(app):
    name = unique("user")
    add_user(app, name)
    return name


def test_the_eleventh_wrong_password_in_a_minute_gets_429_with_retry_after(app, user):
    for _ in range(10):
        assert log_in(app, user, "wrong-password").status_code == 401
    assert_throttled(log_in(app, user, "wrong-password"))
    # Refused before the password is checked: the right one is throttled too.
    assert_throttled(log_in(app, user, PASSWORD))


def test_failures_for_one_username_from_many_addresses_are_throttled(app, user):
    for _ in range(10):
        assert log_in(app, user, "wrong-password", random_address()).status_code == 401
    assert_throttled(log_in(app, user, PASSWORD, random_address()))
    other = unique("other")
    add_user(app, other)
    assert log_in(app, other, PASSWORD, random_address()).status_code == 200


def test_failures_from_one_address_over_many_usernames_are_throttled(app, user):
    address = random_address()
    for _ in range(10):
        assert log_in(app, unique("guess"), "wrong-password", address).status_code == 401
    assert_throttled(log_in(app, user, PASSWORD, address))
    assert log_in(app, user, PASSWORD, random_address()).status_code == 200


def test_an_ipv6_client_is_counted_by_its_64_network(app, user):
    for host in range(10):
        answer = log_in(app, unique("guess"), "wrong-password", f"2001:db8:1:2::{host + 1:x}")
        assert answer.status_code == 401
    assert_throttled(log_in(app, user, PASSWORD, "2001:db8:1:2:ffff::1"))
    assert log_in(app, user, PASSWORD, "2001:db8:1:3::1").status_code == 200


def test_successful_log_ins_are_never_throttled(app, user):
    for _ in range(15):
        assert log_in(app, user, PASSWORD).status_code == 200


def test_a_success_elsewhere_does_not_reset_failures(app, user):
    attacker = random_address()
    for _ in range(9):
        assert log_in(app, user, "wrong-password", attacker).status_code == 401
    assert log_in(app, user, PASSWORD, random_address()).status_code == 200
    assert log_in(app, user, "wrong-password", attacker).status_code == 401
    assert_throttled(log_in(app, user, "wrong-password", attacker))


def test_the_limit_and_window_come_from_settings(tmp_path, sqlite_url):
    app = create_app(
        make_settings(
            tmp_path, database_url=sqlite_url, login_max_failures=2, login_window_seconds=30
        )
    )
    name = unique("user")
    add_user(app, name)
    assert log_in(app, name, "wrong-password").status_code == 401
    assert log_in(app, name, "wrong-password").status_code == 401
    assert_throttled(log_in(app, name, PASSWORD), window=30)


@pytest.mark.redis
def test_two_app_instances_share_the_count_through_redis(tmp_path, sqlite_url, redis_url):
    first, second = (
        create_app(make_settings(tmp_path, database_url=sqlite_url, redis_url=redis_url))
        for _ in range(2)
    )
    name = unique("user")
    add_user(first, name)
    for app in (first, second) * 5:
        assert log_in(app, name, "wrong-password", random_address()).status_code == 401
    assert_throttled(log_in(first, name, PASSWORD, random_address()))
    assert_throttled(log_in(second, name, PASSWORD, random_address()))

    address = random_address()
    for app in (second, first) * 5:
        assert log_in(app, unique("guess"), "wrong-password", address).status_code == 401
    other = unique("other")
    add_user(first, other)
    assert_throttled(log_in(first, other, PASSWORD, address))
    assert log_in(second, other, PASSWORD, random_address()).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(tmp_path, sqlite_url):
    app = create_app(
        make_settings(
            tmp_path,
            database_url=sqlite_url,
            login_max_failures=3,
            trusted_proxies=("10.9.0.0/16",),
        )
    )
    name = unique("user")
    add_user(app, name)

    def through_proxy(password: str, client: str, spoofed: str = "198.51.100.7"):
        return app.test_client().post(
            "/api/token/",
            json={
                "username": unique("guess") if password != PASSWORD else name,
                "password": password,
            },
            environ_base={"REMOTE_ADDR": "10.9.0.5"},
            # The client wrote the left part; the proxy appended the address it saw.
            headers={"X-Forwarded-For": f"{spoofed}, {client}"},
        )

    for spoofed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert through_proxy("wrong-password", "203.0.113.9", spoofed).status_code == 401
    assert_throttled(through_proxy(PASSWORD, "203.0.113.9"))
    # Another client behind the same proxy is not locked out by the first one's failures.
    assert through_proxy(PASSWORD, "203.0.113.10").status_code == 200


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(tmp_path, sqlite_url):
    app = create_app(make_settings(tmp_path, database_url=sqlite_url, login_max_failures=3))
    name = unique("user")
    add_user(app, name)
    for client in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        answer = app.test_client().post(
            "/api/token/",
            json={"username": unique("guess"), "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": "192.0.2.50"},
            headers={"X-Forwarded-For": client},
        )
        assert answer.status_code == 401
    assert_throttled(
        app.test_client().post(
            "/api/token/",
            json={"username": name, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "192.0.2.50"},
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
    )
