"""A lean OCPP-J charger for load: pre-built frames, no schema work on the client side.

The simulator (`sim`) is the realistic charger; this one spends as little CPU as possible so
that the server, not the load generator, is what a benchmark measures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.protocol import State
from websockets.typing import Subprotocol

from sim.charger import basic_auth_header

_unique_ids = itertools.count(1)


class CallFailed(Exception):
    """The server answered a CALL with a CALLERROR (or something that is not a CALLRESULT)."""


class WireCharger:
    """One charger connection; `call` is one CALL and its answer, timed."""

    def __init__(self, connection, charger_id: str):
        self.connection = connection
        self.charger_id = charger_id

    @classmethod
    async def open(
        cls, base_url: str, charger_id: str, auth_key: str | None = None, timeout: float = 60
    ) -> WireCharger:
        headers = {"Authorization": basic_auth_header(charger_id, auth_key)} if auth_key else {}
        connection = await connect(
            f"{base_url.rstrip('/')}/{quote(charger_id, safe='')}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=headers,
            compression=None,
            proxy=None,
            ping_interval=None,
            open_timeout=timeout,
            close_timeout=2,
        )
        return cls(connection, charger_id)

    async def call(self, action: str, payload: dict, timeout: float = 30) -> tuple[dict, float]:
        """Send a CALL and wait for its CALLRESULT; returns (payload, seconds)."""
        unique_id = str(next(_unique_ids))
        frame = json.dumps([2, unique_id, action, payload])
        started = time.perf_counter()
        await self.connection.send(frame)
        while True:
            reply = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
            if reply[0] == 2:
                # A CALL from the server while we wait (e.g. a trigger): not part of this load.
                continue
            if reply[1] != unique_id:
                continue
            if reply[0] != 3:
                raise CallFailed(f"{self.charger_id} {action}: {reply}")
            return reply[2], time.perf_counter() - started

    @property
    def is_open(self) -> bool:
        return self.connection.state is State.OPEN

    async def close(self) -> None:
        await self.connection.close()


async def answer_calls(charger: WireCharger, results: dict[str, dict]) -> None:
    """Answer every CALL from the server at once with the canned CALLRESULT for its action
    (CALLERROR NotSupported for others) until the connection closes."""
    async for frame in charger.connection:
        message = json.loads(frame)
        if message[0] != 2:
            continue
        unique_id, action = message[1], message[2]
        if action in results:
            reply = [3, unique_id, results[action]]
        else:
            reply = [4, unique_id, "NotSupported", f"{action} is not simulated", {}]
        await charger.connection.send(json.dumps(reply))
