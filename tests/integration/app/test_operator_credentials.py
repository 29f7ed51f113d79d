"""No well-known operator credentials outside the embedded default: `bin/serve`'s seed makes
admin/admin only on SQLite without Redis, and `create-user` without a password generates one."""

from __future__ import annotations

import re
import shlex

import pytest
import requests

from bootstrap import create_app
from domain.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.live_server import postgres_live_server

GENERATED = re.compile(r"^Generated password for (\S+) \(shown once\) >>>>   (\S+)$", re.M)


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def logs_in(client, username: str, password: str) -> bool:
    answer = client.post("/api/token/", json={"username": username, "password": password})
    assert answer.status_code in (200, 401), answer.get_data(as_text=True)
    return answer.status_code == 200


def serve_flask_commands() -> list[list[str]]:
    """The `flask …` steps bin/serve runs before gunicorn, in order."""
    lines = (PROJECT_ROOT / "bin" / "serve").read_text().splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith("flask ")]


def test_create_user_without_a_password_prints_a_strong_one_once_that_logs_in(app):
    output = invoke(app, "create-user", "--username", "ops", "--role", "operator").output
    username, password = GENERATED.search(output).groups()
    assert username == "ops"
    assert len(password) >= 20 and re.fullmatch(r"[A-Za-z0-9_-]+", password)
    assert logs_in(app.test_client(), "ops", password)
    again = invoke(app, "create-user", "--username", "ops").output
    assert not GENERATED.search(again)  # the existing user keeps its password
    assert "JWT Access Token >>>>   " in again
    assert logs_in(app.test_client(), "ops", password)


def test_two_generated_passwords_differ(app):
    first = GENERATED.search(invoke(app, "create-user", "--username", "a").output).group(2)
    second = GENERATED.search(invoke(app, "create-user", "--username", "b").output).group(2)
    assert first != second


def test_the_embedded_default_seeds_the_demo_admin_with_a_warning(app):
    result = invoke(app, "seed-admin")
    assert "JWT Access Token >>>>   " in result.stdout
    assert "well-known password 'admin'" in result.stderr
    assert not GENERATED.search(result.output)
    assert logs_in(app.test_client(), "admin", "admin")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("redis", [False, True])
def test_an_admin_admin_left_by_an_older_version_gets_a_new_password_in_production(
    tmp_path, postgres_url, redis_url, redis
):
    if redis:
        settings = make_settings(tmp_path, redis_url=redis_url)  # SQLite file, with Redis
    else:
        settings = make_settings(tmp_path, database_url=postgres_url)
    app = create_app(settings)
    if redis:
        invoke(app, "db-upgrade")
    invoke(app, "create-user", "--password", "admin")
    client = app.test_client()
    assert logs_in(client, "admin", "admin")

    result = invoke(app, "seed-admin")

    username, password = GENERATED.search(result.output).groups()
    assert username == "admin"
    assert "well-known" not in result.output
    assert not logs_in(client, "admin", "admin")
    assert logs_in(client, "admin", password)
    assert not GENERATED.search(invoke(app, "seed-admin").output)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_production_start_has_no_admin_admin():
    steps = serve_flask_commands()
    assert steps[-1] == ["seed-admin"], steps
    with postgres_live_server(seed=False) as server:
        outputs = [server.flask(*step) for step in steps]
        seeded = outputs[-1]
        login = server.base_url + "/api/token/"
        refused = requests.post(login, json={"username": "admin", "password": "admin"}, timeout=10)
        assert refused.status_code == 401
        username, password = GENERATED.search(seeded).groups()
        accepted = requests.post(
            login, json={"username": username, "password": password}, timeout=10
        )
        assert accepted.status_code == 200
        printed = re.search(r"^JWT Access Token >>>>   (\S+)$", seeded, re.M).group(1)
        me = requests.get(
            server.base_url + "/api/users/me/",
            headers={"Authorization": f"Bearer {printed}"},
            timeout=10,
        )
        assert me.json()["username"] == "admin"
