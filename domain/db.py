"""Engine, session factory and the unit of work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from domain.settings import Settings

# A pooled connection idle longer than this is pinged before use (a database restart or an
# idle timeout may have closed it). A busy connection is not: a ping per checkout was a
# round trip per message (6.6% of a Heartbeat's CPU); if it was dropped anyway, the unit of
# work using it fails once and SQLAlchemy replaces every connection of the pool.
IDLE_PING_SECONDS = 10.0
_CHECKED_IN_AT = "voltline_checked_in_at"
# Connections per process (DB_POOL_SIZE, DB_MAX_OVERFLOW): a gevent worker's greenlets share them.
POOL_SIZE = 10
MAX_OVERFLOW = 20


def build_engine(
    database_url: str,
    idle_ping_seconds: float = IDLE_PING_SECONDS,
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool of
    `pool_size` connections (plus `max_overflow` under load) per process on PostgreSQL."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(database_url, pool_size=pool_size, max_overflow=max_overflow)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", lambda *args: _ping_if_idle(idle_ping_seconds, *args))
    return engine


def _note_checkin(_dbapi_connection, record) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(idle_seconds: float, dbapi_connection, record, _proxy) -> None:
    checked_in = record.info.get(_CHECKED_IN_AT)
    if checked_in is None or time.monotonic() - checked_in < idle_seconds:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as error:  # noqa: BLE001 - any failure: the pool connects anew
        raise exc.DisconnectionError(str(error)) from error


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One engine and its session factory; `unit_of_work()` is the only way to write."""

    def __init__(
        self,
        database_url: str,
        idle_ping_seconds: float = IDLE_PING_SECONDS,
        pool_size: int = POOL_SIZE,
        max_overflow: int = MAX_OVERFLOW,
    ):
        self.url = database_url
        self.engine = build_engine(database_url, idle_ping_seconds, pool_size, max_overflow)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """DATABASE_URL with the pool DB_POOL_SIZE and DB_MAX_OVERFLOW ask for."""
        return cls(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Yield a session; commit once when the block ends, roll back if it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def reachable(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable" for a health check
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def statement_connection(session: Session) -> Connection:
    """The session's connection, for statements built once with `bindparam()`s and run as
    `statement_connection(session).execute(STATEMENT, params)`.

    A statement built per call costs more CPU than its round trip (construction and cache
    key: ~140 µs through `session.execute` against ~40 µs here). Pending ORM changes are
    flushed first, as `session.execute` would (a no-op for a clean session)."""
    session.flush()
    return session.connection()
