"""A disconnect storm against real Redis: many sockets closing at once leave no presence
key behind (each close waits for a pooled Redis connection instead of failing)."""

import asyncio
import uuid
from contextlib import AsyncExitStack

import pytest
import redis
from sqlalchemy import select

from adapters.presence import presence_key
from domain.db import Database
from domain.models import Charger
from tests.live_server import postgres_live_server
from tests.ocpp_client import eventually, exchange, raw_socket, register_charger
from tests.services import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# More sockets than a default redis-py pool (100 connections) serves at once.
SOCKETS = 400


def test_sockets_closing_at_once_leave_no_stale_presence():
    env = {"REDIS_URL": require_redis(), "NODE_ID": f"storm-{uuid.uuid4().hex[:6]}"}
    client = redis.Redis.from_url(env["REDIS_URL"])
    with postgres_live_server(env) as server:
        database = Database(server.database_url)
        try:
            names = [register_charger(database, "storm") for _ in range(SOCKETS)]

            async def open_then_close_all():
                async with AsyncExitStack() as stack:
                    sockets = [
                        await stack.enter_async_context(raw_socket(server.ws_url(n))) for n in names
                    ]
                    await asyncio.gather(
                        *(exchange(ws, '[2,"h","Heartbeat",{}]') for ws in sockets)
                    )
                    held = sum(client.exists(presence_key(n)) for n in names)
                    await asyncio.gather(*(ws.close() for ws in sockets))
                return held

            assert asyncio.run(open_then_close_all()) == SOCKETS
            # Presence is released before the charger is marked Disconnected.
            eventually(lambda: disconnected(database, names) == SOCKETS, timeout=60)
            assert [n for n in names if client.exists(presence_key(n))] == []
            assert "presence release failed" not in server.log_text()
        finally:
            database.dispose()
            client.close()


def disconnected(database: Database, names: list[str]) -> int:
    with database.unit_of_work() as session:
        statuses = session.scalars(select(Charger.status).where(Charger.name.in_(names))).all()
    return sum(status == "Disconnected" for status in statuses)
