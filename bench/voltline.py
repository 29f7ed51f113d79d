"""The Voltline server under test, started the production way for a benchmark.

gunicorn + gevent (gunicorn.conf.py, raised worker-connections) via tests/live_server.py,
on a fresh PostgreSQL database with the benchmark's chargers pre-registered as Accepted,
and Redis for presence and the relay.
"""

from __future__ import annotations

import resource
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bench.database import bench_database, create_fleet
from bench.processes import Target
from tests.live_server import LiveServer
from tests.services import require_redis


def run_tag() -> str:
    """A short random tag for charger ids, so parallel runs never share Redis presence keys."""
    return uuid.uuid4().hex[:6]


def raise_open_files_limit() -> int:
    """Lift this process's (and its children's) soft open-files limit to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@contextmanager
def voltline_server(
    ids: list[str],
    id_tags: list[str] = (),
    env: dict[str, str] | None = None,
    log_level: str = "INFO",
    workers: int = 1,
) -> Iterator[tuple[LiveServer, str]]:
    """(server, database URL): gunicorn gevent worker(s) on PostgreSQL + Redis."""
    redis_url = require_redis()
    # Tasks the server enqueues (session finalisation) stay in this run's own Celery queue.
    celery_prefix = f"voltline-bench-{run_tag()}:"
    try:
        with bench_database() as database_url:
            create_fleet(database_url, ids, list(id_tags))
            server_env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "CELERY_KEY_PREFIX": celery_prefix,
                "LOG_LEVEL": log_level,
                **(env or {}),
            }
            with LiveServer(server_env, migrate=False, seed=False, workers=workers) as server:
                yield server, database_url
    finally:
        _delete_keys(redis_url, celery_prefix)


def _delete_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def voltline_target(server: LiveServer) -> Target:
    return Target("voltline", f"ws://127.0.0.1:{server.port}/ocpp", server.process.pid)
