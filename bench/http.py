"""A minimal asyncio HTTP/1.1 keep-alive client for REST load (JSON in, JSON out).

The standard library has no asyncio HTTP client and a thread per request would make the
load generator, not the server, the thing measured.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


class HttpConnection:
    """One keep-alive connection to 127.0.0.1:`port`; one request at a time."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port = port
        self.headers = headers
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, timeout: float = 60
    ) -> tuple[int, Any, float]:
        """(status, parsed JSON body or None, seconds)."""
        started = time.perf_counter()
        status, data = await asyncio.wait_for(self._exchange(method, path, body), timeout)
        return status, data, time.perf_counter() - started

    async def _exchange(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(payload)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        status_line = await self._reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, keep_alive = 0, True
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep_alive = False
        raw = await self._reader.readexactly(length) if length else b""
        if not keep_alive:
            await self.close()
        return status, json.loads(raw) if raw else None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None
