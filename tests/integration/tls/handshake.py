"""Opening a charger socket and reporting how the handshake ended."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import websockets

from tests.ocpp_client import basic_auth, raw_socket

OPENED = 101


async def _handshake(url: str, ssl, headers) -> int:
    try:
        async with raw_socket(url, ssl=ssl, headers=headers):
            return OPENED
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


def handshake(
    url: str,
    *,
    ssl=None,
    key: str | bytes | None = None,
    user: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """101 when the socket opened, else the HTTP status of the refusal. `key` is sent as
    the HTTP Basic password (bytes as they are) with `user` (default: the charger name),
    besides any other `headers`."""
    headers = dict(headers or {})
    if key is not None:
        headers.update(basic_auth(user or unquote(url.rstrip("/").rsplit("/", 1)[1]), key))
    return asyncio.run(_handshake(url, ssl, headers or None))
