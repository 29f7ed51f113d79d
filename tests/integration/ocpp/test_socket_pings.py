"""WebSocket pings (OCPP_PING_INTERVAL), sent to every socket by one loop per node: a charger
that answers them stays connected; one that does not is closed with 1008 after the next
interval, and its socket's ending reads as a dropped connection."""

import asyncio
import base64
import os
import socket

import pytest
from sqlalchemy import select

from domain.db import Database
from domain.models import Charger, SocketEvent
from tests.live_server import postgres_live_server
from tests.ocpp_client import eventually, exchange, raw_socket, register_charger, run
from tests.services import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INTERVAL = 1


@pytest.fixture(scope="module")
def server():
    env = {"OCPP_PING_INTERVAL": str(INTERVAL), "REDIS_URL": require_redis()}
    with postgres_live_server(env) as live:
        yield live


@pytest.fixture(scope="module")
def database(server):
    db = Database(server.database_url)
    yield db
    db.dispose()


def test_a_charger_answering_pings_stays_connected(server, database):
    name = register_charger(database, "pong")

    async def hold():
        async with raw_socket(server.ws_url(name)) as ws:  # websockets answers pings
            await asyncio.sleep(4 * INTERVAL)
            return await exchange(ws, '[2,"h1","Heartbeat",{}]')

    assert run(hold())[:2] == [3, "h1"]


def test_a_charger_not_answering_pings_is_closed_with_1008(server, database):
    name = register_charger(database, "silent")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /ocpp/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n".encode()
        )
        received = b""
        while True:  # never answers: reads until the server closes the connection
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    head, _, frames = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    assert frames[:1] == b"\x89"  # a ping first
    close = frames.index(b"\x88")  # then a close frame: 1008, Ping/Pong timeout
    assert frames[close + 2 : close + 4] == (1008).to_bytes(2, "big")
    assert b"Ping/Pong timeout" in frames[close:]
    assert eventually(lambda: "dropped" in socket_ends(database, name))


def socket_ends(database, name):
    with database.unit_of_work() as session:
        return session.scalars(
            select(SocketEvent.kind).join(Charger).where(Charger.name == name)
        ).all()
