"""Pooled PostgreSQL connections that the server dropped (a restart, an idle timeout) are
replaced without a ping on every checkout: an idle one is pinged before use, a busy one
fails one unit of work and the pool connects anew."""

import psycopg2
import pytest
from sqlalchemy import text

from domain.db import Database
from tests.services import POSTGRES_ADMIN_DSN

pytestmark = pytest.mark.postgres


def drop_every_connection(url: str) -> None:
    """What a PostgreSQL restart does to the pool: terminate its backends."""
    name = url.rsplit("/", 1)[1]
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    connection.close()


def answer(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.execute(text("SELECT 1")).scalar_one()


def test_an_idle_dropped_connection_is_replaced_before_use(postgres_url):
    database = Database(postgres_url, idle_ping_seconds=0)
    try:
        assert answer(database) == 1
        drop_every_connection(postgres_url)
        assert answer(database) == 1
    finally:
        database.dispose()


def test_a_busy_dropped_connection_fails_one_unit_of_work_then_the_pool_recovers(postgres_url):
    database = Database(postgres_url, idle_ping_seconds=3600)
    try:
        assert answer(database) == 1
        drop_every_connection(postgres_url)
        with pytest.raises(Exception, match="terminat|closed"):
            answer(database)
        assert answer(database) == 1
    finally:
        database.dispose()
