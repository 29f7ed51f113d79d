"""Charger presence in Redis: which node holds which socket, for the relay and sweeps."""

import uuid
from contextlib import AsyncExitStack

import pytest
import redis
from sqlalchemy import select

from adapters.presence import RedisPresence, presence_key
from domain.db import Database
from domain.models import Charger, StatusLog
from tests.live_server import LiveServer, postgres_live_server
from tests.ocpp_client import eventually, exchange, raw_socket, register_charger, run
from tests.services import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def node():
    """One web node with Redis presence (a short TTL) on its own database."""
    node_id = f"node-{uuid.uuid4().hex[:6]}"
    env = {"REDIS_URL": require_redis(), "NODE_ID": node_id, "PRESENCE_TTL": "30"}
    with postgres_live_server(env) as server:
        yield server


@pytest.fixture(scope="module")
def database(node):
    db = Database(node.database_url)
    yield db
    db.dispose()


def unique_name():
    return f"presence-{uuid.uuid4().hex[:10]}"


def test_a_claim_names_the_node_and_lives_for_the_ttl(client):
    name = unique_name()
    node_a, node_b = RedisPresence(client, "node-a", 60), RedisPresence(client, "node-b", 60)
    node_a.claim(name)
    assert client.get(presence_key(name)) == b"node-a"
    assert 0 < client.ttl(presence_key(name)) <= 60
    assert node_b.node_of(name) == "node-a"
    node_b.claim(name)  # the charger reconnected to node B
    assert node_a.refresh(name) is False
    assert node_a.release(name) is False
    assert node_b.node_of(name) == "node-b"
    assert node_b.refresh(name) is True
    assert node_b.release(name) is True
    assert node_a.node_of(name) is None


def test_a_live_socket_is_present_until_it_closes(node, database, client):
    name = register_charger(database, "present")

    async def connected_then_closed():
        async with raw_socket(node.ws_url(name)) as ws:
            await exchange(ws, '[2,"h1","Heartbeat",{}]')
            return client.get(presence_key(name)), client.ttl(presence_key(name))

    holder, ttl = run(connected_then_closed())
    assert holder == node.node_id.encode() and 0 < ttl <= 30
    eventually(lambda: client.get(presence_key(name)) is None)


def test_a_socket_closing_on_the_old_node_leaves_the_new_nodes_claim(node, database, client):
    new_env = {
        "REDIS_URL": node.env["REDIS_URL"],
        "PRESENCE_TTL": "30",
        "NODE_ID": f"new-{uuid.uuid4().hex[:6]}",
        "DATABASE_URL": node.database_url,
    }
    with LiveServer(new_env) as new:
        name = register_charger(database, "moved")

        async def move_then_close_the_old_socket():
            async with AsyncExitStack() as sockets:
                on_old = await sockets.enter_async_context(raw_socket(node.ws_url(name)))
                await exchange(on_old, '[2,"o1","Heartbeat",{}]')
                # The charger reaches the new node while its old socket lingers...
                on_new = await sockets.enter_async_context(raw_socket(new.ws_url(name)))
                await exchange(on_new, '[2,"n1","Heartbeat",{}]')
                # ...then the old socket closes: the old node must let the move stand.
                await on_old.close()
                eventually(lambda: "charger now on another node" in node.log_text())
                return client.get(presence_key(name)), status_log(database, name)

        holder, log_while_on_new = run(move_then_close_the_old_socket())
        assert holder == new.node_id.encode()
        assert log_while_on_new == ["Connected", "Connected"]
        eventually(lambda: client.get(presence_key(name)) is None)
        eventually(lambda: status_log(database, name)[-1:] == ["Disconnected"])


def status_log(database, name):
    with database.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        return session.scalars(
            select(StatusLog.status)
            .where(StatusLog.charger_id == charger_id)
            .order_by(StatusLog.id)
        ).all()
