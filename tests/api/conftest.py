"""An app with the seed chargers and one user per role, and their tokens."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest

from domain import passwords, schema
from domain.models import Role
from domain.services import users as user_service
from domain.services.chargers import create_seed_chargers
from domain.services.users import ensure_user
from web.auth import issue_tokens
from web.extensions import database

PASSWORD = "correct-horse-battery"
FAST_HASH_ITERATIONS = 1_000


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api-template") / "template.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path, migrated_template) -> str:
    """A copy of a database migrated once per run (migrations are tested on their own)."""
    target = tmp_path / "test.db"
    with closing(sqlite3.connect(migrated_template)) as source:
        with closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Real PBKDF2, fewer rounds: the hash records its own rounds, so login still verifies."""
    monkeypatch.setattr(
        user_service, "hash_secret", partial(passwords.hash_secret, iterations=FAST_HASH_ITERATIONS)
    )


@pytest.fixture
def seeded(app):
    with database(app).unit_of_work() as session:
        create_seed_chargers(session)
        for role in Role:
            ensure_user(session, role.value, PASSWORD, role)
    return app


@pytest.fixture
def tokens(seeded) -> dict[str, tuple[str, str]]:
    """role -> (access, refresh) for the users named after their roles."""
    pairs = {}
    with seeded.app_context(), database(seeded).unit_of_work() as session:
        for role in Role:
            pairs[role.value] = issue_tokens(user_service.get_user(session, role.value))
    return pairs


@pytest.fixture
def auth(tokens):
    """auth("viewer") -> the Authorization header of that role's access token."""

    def header(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role][0]}"}

    return header


@pytest.fixture
def api(seeded):
    return seeded.test_client()


@pytest.fixture
def send(api, auth):
    """send("body") -> POST /api/chargers/{charger}/send-command/ as that role."""

    def post(body, charger="charger_1", role="operator", path="send-command"):
        return api.post(f"/api/chargers/{charger}/{path}/", json=body, headers=auth(role))

    return post


def with_req_data(body: dict, **fields) -> dict:
    """A copy of a send-command body with these `req_data` fields set."""
    command = body["command"]
    return {"command": {**command, "req_data": {**command["req_data"], **fields}}}


def assert_error(response, status: int) -> dict:
    """The one error shape, as JSON, with this status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body
