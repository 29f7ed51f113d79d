"""Shared fixtures: settings, migrated databases (SQLite and PostgreSQL), Flask apps."""

from __future__ import annotations

import uuid
from functools import partial

import pytest
import redis

from domain import schema
from domain.db import Database
from domain.settings import Settings
from tests.services import create_postgres_database, drop_postgres_database, require_redis

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
# Every role's test user is named after its role and has this password.
PASSWORD = "correct-horse-battery"
FAST_HASH_ITERATIONS = 1_000


def make_settings(tmp_path, **overrides) -> Settings:
    values = {
        "instance_path": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'test.db'}",
        "redis_url": None,
        "jwt_secret_key": TEST_JWT_SECRET,
        "node_id": "test-node",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    schema.upgrade(url)
    return url


@pytest.fixture
def postgres_url():
    url = create_postgres_database()
    schema.upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def settings(tmp_path, sqlite_url) -> Settings:
    return make_settings(tmp_path, database_url=sqlite_url)


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def pg_db(postgres_url):
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings):
    from bootstrap import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def live_server():
    """A gunicorn server on a PostgreSQL database of its own, shared by one test module."""
    from tests.live_server import postgres_live_server

    with postgres_live_server() as server:
        yield server


@pytest.fixture(scope="module")
def live_db(live_server):
    """The live server's database, for arranging and checking rows."""
    database = Database(live_server.database_url)
    yield database
    database.dispose()


@pytest.fixture
def fast_password_hashing(monkeypatch):
    """Real PBKDF2, fewer rounds: the hash records its own rounds, so login still verifies."""
    from domain import passwords
    from domain.services import users as user_service

    monkeypatch.setattr(
        user_service, "hash_secret", partial(passwords.hash_secret, iterations=FAST_HASH_ITERATIONS)
    )


@pytest.fixture
def role_users(app, fast_password_hashing):
    """One user per role, named after it (`admin`, `operator`, `viewer`), password PASSWORD."""
    from domain.models import Role
    from domain.services.users import ensure_user
    from web.extensions import database

    with database(app).unit_of_work() as session:
        for role in Role:
            ensure_user(session, role.value, PASSWORD, role)


@pytest.fixture
def tokens(app, role_users) -> dict[str, tuple[str, str]]:
    """role -> (access, refresh) for the users named after their roles."""
    from domain.models import Role
    from domain.services.users import get_user
    from web.auth import issue_tokens
    from web.extensions import database

    with app.app_context(), database(app).unit_of_work() as session:
        return {role.value: issue_tokens(get_user(session, role.value)) for role in Role}


@pytest.fixture
def auth(tokens):
    """auth("viewer") -> the Authorization header of that role's access token."""

    def header(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role][0]}"}

    return header


@pytest.fixture
def celery_prefix(redis_url):
    """A broker key prefix used by this test only; its keys are deleted afterwards."""
    prefix = f"voltline-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def broker_settings(tmp_path, postgres_url, redis_url, celery_prefix):
    return make_settings(
        tmp_path, database_url=postgres_url, redis_url=redis_url, celery_key_prefix=celery_prefix
    )
