"""Redis clients for the web node whose pool makes a greenlet wait for a connection.

redis-py's default pool raises `MaxConnectionsError` once 100 connections are in use: a
storm of 5,000 sockets closing at once failed most presence releases that way and left
stale keys routing commands to the wrong node. A `BlockingConnectionPool` bounds the
connections a worker opens and queues the greenlets beyond them instead.
"""

from __future__ import annotations

from typing import Any

import redis

POOL_SIZE = 50  # connections per pool and worker; Redis round trips are short
POOL_WAIT_SECONDS = 30.0  # how long a greenlet waits for one before the call fails


def waiting_client(url: str, max_connections: int = POOL_SIZE, **options: Any) -> redis.Redis:
    """A client on a pool of at most `max_connections` that waits up to POOL_WAIT_SECONDS
    for a free connection; `options` are the connections' (timeouts, retry)."""
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS, **options
    )
    return redis.Redis(connection_pool=pool)
