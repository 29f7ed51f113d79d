"""Shared fixtures: settings, migrated databases (SQLite and PostgreSQL), Flask apps."""

from __future__ import annotations

import pytest

from domain import schema
from domain.db import Database
from domain.settings import Settings
from tests.services import create_postgres_database, drop_postgres_database, require_redis

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


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
