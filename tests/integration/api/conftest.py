"""An app with the seed chargers and one user per role (their tokens: tests/conftest.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from domain import schema
from domain.services.chargers import create_seed_chargers
from web.extensions import database


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
def _fast_password_hashing(fast_password_hashing):
    """Every API test hashes passwords with fewer rounds."""


@pytest.fixture
def seeded(app, role_users):
    """The app with the seed chargers and a user per role (tests/conftest.py)."""
    with database(app).unit_of_work() as session:
        create_seed_chargers(session)
    return app


@pytest.fixture
def tokens(seeded, tokens):
    """In the API tests a user's tokens come with the seed chargers."""
    return tokens


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
