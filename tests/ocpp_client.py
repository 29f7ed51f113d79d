"""Test chargers: the `ocpp` package's ChargePoint over `websockets`, and raw frames.

async with charger(server.ws_url("charger_1")) as cp:
    conf = await cp.call(call.Heartbeat())

async with raw_socket(server.ws_url("charger_1")) as ws:
    reply = await exchange(ws, '[2,"1","Heartbeat",{}]')
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit

import websockets
from ocpp.v16 import ChargePoint

from domain.services.chargers import create_charger

SUBPROTOCOL = "ocpp1.6"
ANSWER_TIMEOUT = 15


def basic_auth(user: str, password: str | bytes) -> dict[str, str]:
    """The Authorization header; a bytes password is sent as it is (any octets)."""
    secret = password if isinstance(password, bytes) else password.encode()
    token = base64.b64encode(user.encode() + b":" + secret).decode()
    return {"Authorization": f"Basic {token}"}


@asynccontextmanager
async def raw_socket(
    url: str, *, subprotocols=(SUBPROTOCOL,), headers=None, max_size=2**22, ssl=None
) -> AsyncIterator[websockets.ClientConnection]:
    """`ssl`: the client's SSLContext for a wss:// URL (server trust, client certificate)."""
    async with websockets.connect(
        url,
        ssl=ssl,
        subprotocols=list(subprotocols) or None,
        additional_headers=headers,
        max_size=max_size,
        open_timeout=ANSWER_TIMEOUT,
        proxy=None,  # loopback only, whatever the environment says
    ) as ws:
        yield ws


async def exchange(ws, frame: str | bytes) -> list:
    """Send one frame and return the parsed frame that answers it."""
    await ws.send(frame)
    return json.loads(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT))


async def ask(ws, unique_id: str, action: str, payload: dict) -> list:
    """Send a CALL built from parts and return the parsed answer."""
    return await exchange(ws, json.dumps([2, unique_id, action, payload]))


@asynccontextmanager
async def charger(url: str, *, headers=None, ssl=None) -> AsyncIterator[ChargePoint]:
    """A ChargePoint reading in the background; `cp.call(..., suppress=False)` raises on a
    CALLERROR. Its id is the charger name decoded from the URL."""
    async with raw_socket(url, headers=headers, ssl=ssl) as ws:
        name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[1])
        cp = ChargePoint(name, ws, response_timeout=ANSWER_TIMEOUT)
        reader = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, websockets.ConnectionClosed):
                pass


def run(coroutine):
    return asyncio.run(coroutine)


def eventually(check, timeout: float = 15.0, interval: float = 0.05):
    """Poll `check()` until it returns something truthy (returned) or raise AssertionError:
    for effects the server completes after its answer, such as a socket's close."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        time.sleep(interval)


def register_charger(database, prefix: str = "cp", **options) -> str:
    """Create a charger with connectors 1 and 2 through the domain service; returns its
    unique name. `options` go to `create_charger` (authorization_key, registration_status)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    with database.unit_of_work() as session:
        create_charger(session, name, connector_ids=(1, 2), **options)
    return name
