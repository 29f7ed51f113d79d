"""One simulated charge point: its connection lifecycle, its calls and its sessions."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from urllib.parse import quote

from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from ocpp.v16.enums import (
    Reason,
    RegistrationStatus,
    ResetType,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from sim.configuration import Configuration, default_keys
from sim.connectors import Connectors
from sim.link import ChargerLink
from sim.notifications import boot_notification, notify_status
from sim.options import ChargerOptions
from sim.session import end_sessions
from sim.stats import FleetStats
from sim.waiting import cancel_and_wait, sleep_unless

log = logging.getLogger("sim")

TRANSACTION_ACTIONS = {"StartTransaction", "StopTransaction", "MeterValues"}


def charger_url(base: str, charger_id: str) -> str:
    return f"{base.rstrip('/')}/{quote(charger_id, safe='')}"


def basic_auth_header(charger_id: str, key: str) -> str:
    token = base64.b64encode(f"{charger_id}:{key}".encode()).decode()
    return f"Basic {token}"


class SimulatedCharger:
    """A charge point whose state (meters, configuration, sessions) outlives its connections."""

    def __init__(self, charger_id: str, options: ChargerOptions, stats: FleetStats):
        self.charger_id = charger_id
        self.options = options
        self.stats = stats
        self.connectors = Connectors(options.connectors)
        self.configuration = Configuration(
            default_keys(
                options.connectors, options.heartbeat_interval or 300, options.meter_interval
            )
        )
        self.registration: RegistrationStatus | None = None
        self.accepted = asyncio.Event()
        self.link: ChargerLink | None = None
        self.rebooting = False
        self._reboot_type: ResetType | None = None
        self._reconnect = asyncio.Event()
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    # -- connection lifecycle -------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop`: reconnect with backoff, reboot on Reset."""
        backoff = 1.0
        try:
            while not stop.is_set():
                try:
                    async with self._connect() as connection:
                        backoff = 1.0
                        self.stats.count("connected")
                        await self._serve(connection, stop)
                except InvalidStatus as error:
                    self.stats.count(f"refused_http_{error.response.status_code}")
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as error:
                    self.stats.count("connection_lost")
                    log.debug("%s: connection lost: %r", self.charger_id, error)
                finally:
                    self.link = None
                    self.accepted.clear()
                if stop.is_set():
                    break
                if self.rebooting:
                    await sleep_unless(stop, self.options.reboot_delay)
                    self.rebooting = False
                    continue
                await sleep_unless(stop, backoff + random.random())
                backoff = min(backoff * 2, 30.0)
        finally:
            self._done.set()

    def _connect(self):
        headers = {}
        if self.options.auth_key:
            headers["Authorization"] = basic_auth_header(self.charger_id, self.options.auth_key)
        return connect(
            charger_url(self.options.url, self.charger_id),
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=headers,
            compression=None,
            proxy=None,
            ping_interval=None,
            open_timeout=30,
        )

    async def _serve(self, connection, stop: asyncio.Event) -> None:
        self.link = ChargerLink(self, connection, self.options.response_timeout)
        self._reconnect.clear()
        reader = asyncio.create_task(self.link.start())
        online = asyncio.create_task(self._online())
        stopping = asyncio.create_task(stop.wait())
        reconnect = asyncio.create_task(self._reconnect.wait())
        done, _ = await asyncio.wait(
            {reader, online, stopping, reconnect}, return_when=asyncio.FIRST_COMPLETED
        )
        if stopping in done:
            await end_sessions(self, Reason.local)
        await cancel_and_wait([online, stopping, reconnect, reader])
        if online in done and online.exception() is not None:
            raise online.exception()
        if reader in done and reader.exception() is not None:
            raise reader.exception()

    async def _online(self) -> None:
        await self._boot_until_accepted()
        self.accepted.set()
        await notify_status(self, list(self.connectors), include_charger=True)
        while True:
            await asyncio.sleep(max(1, self.configuration.integer("HeartbeatInterval")))
            await self.call(call.Heartbeat())

    async def _boot_until_accepted(self) -> None:
        while True:
            answer = await self.call(boot_notification(self), before_accepted=True)
            if answer is None:
                await asyncio.sleep(5 + random.random())
                continue
            self.registration = RegistrationStatus(answer.status)
            self.stats.registrations[self.registration] += 1
            if self.registration == RegistrationStatus.accepted:
                if self.options.heartbeat_interval is None and answer.interval > 0:
                    self.configuration.change("HeartbeatInterval", str(answer.interval))
                return
            # Pending/Rejected: boot again after the interval the central system asked for.
            await asyncio.sleep(answer.interval if answer.interval > 0 else 10)

    def reboot(self, kind: ResetType) -> None:
        """Reset: end every session (reason SoftReset/HardReset), then reconnect and boot."""
        self.rebooting = True
        self.spawn(self._reboot(kind))

    async def _reboot(self, kind: ResetType) -> None:
        reason = Reason.hard_reset if kind == ResetType.hard else Reason.soft_reset
        await end_sessions(self, reason)
        self.stats.count(f"reset_{kind.lower()}")
        self._reconnect.set()

    # -- calls -------------------------------------------------------------------------
    async def call(self, payload, *, before_accepted: bool = False):
        """Send one CALL; returns its result, or None after a CALLERROR, timeout or close.

        Transaction messages are retried (TransactionMessageAttempts) across reconnects.
        """
        action = type(payload).__name__
        attempts = 1
        if action in TRANSACTION_ACTIONS:
            attempts = max(1, self.configuration.integer("TransactionMessageAttempts"))
        for attempt in range(attempts):
            link = self.link if before_accepted else await self._accepted_link()
            if link is None:
                self.stats.count(f"unsent_{action}")
                return None
            started = asyncio.get_running_loop().time()
            try:
                result = await link.call(payload, suppress=False)
            except OCPPError as error:
                self.stats.call_failed(action, error.code)
            except TimeoutError:
                self.stats.call_timed_out(action)
            except ConnectionClosed:
                self.stats.count(f"interrupted_{action}")
            else:
                self.stats.call_answered(action, asyncio.get_running_loop().time() - started)
                return result
            if attempt + 1 < attempts:
                await asyncio.sleep(self.configuration.integer("TransactionMessageRetryInterval"))
        return None

    async def _accepted_link(self) -> ChargerLink | None:
        """The live link once the charger is Accepted; None once the charger has shut down."""
        if not self.accepted.is_set():
            accepted = asyncio.create_task(self.accepted.wait())
            done = asyncio.create_task(self._done.wait())
            await asyncio.wait({accepted, done}, return_when=asyncio.FIRST_COMPLETED)
            accepted.cancel()
            done.cancel()
        return self.link if self.accepted.is_set() else None

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
