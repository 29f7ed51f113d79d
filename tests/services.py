"""Real PostgreSQL and Redis for tests: reachability, per-run databases, CI's no-skip rule."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import closing

import psycopg2
import pytest
import redis

POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
POSTGRES_URL_BASE = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(service: str, reason: str):
    """Skip on a developer machine without the service; under CI=true a missing service fails."""
    message = f"{service} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run, never skip)")
    pytest.skip(message)


def create_postgres_database() -> str:
    """A fresh, empty database; returns its SQLAlchemy URL."""
    name = f"voltline_test_{uuid.uuid4().hex[:12]}"
    try:
        connection = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    except psycopg2.OperationalError as error:
        unavailable("PostgreSQL", str(error).strip())
    connection.autocommit = True
    with closing(connection), connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_URL_BASE}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    connection.autocommit = True
    with closing(connection), connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def require_redis(url: str = REDIS_URL) -> str:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable("Redis", str(error))
    finally:
        client.close()
    return url


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
