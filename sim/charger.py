"""One simulated charge point: its connection lifecycle, its calls and its sessions."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from dataclasses import dataclass
from urllib.parse import quote

from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    ResetType,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from sim.configuration import Configuration, default_keys
from sim.connectors import Connector, Connectors, Session
from sim.link import ChargerLink
from sim.session import charge, meter_values
from sim.stats import FleetStats
from sim.waiting import cancel_and_wait, sleep_unless
from sim.wire_time import wire_now

log = logging.getLogger("sim")

TRANSACTION_ACTIONS = {"StartTransaction", "StopTransaction", "MeterValues"}


@dataclass(frozen=True)
class ChargerOptions:
    url: str
    auth_key: str | None = None
    connectors: int = 2
    vendor: str = "Voltline"
    model: str = "Simulator"
    heartbeat_interval: int | None = None
    meter_interval: int = 60
    session_duration: float = 120.0
    response_timeout: float = 30.0
    reboot_delay: float = 1.0


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
            await self.end_sessions(Reason.local)
        await cancel_and_wait([online, stopping, reconnect, reader])
        if online in done and online.exception() is not None:
            raise online.exception()
        if reader in done and reader.exception() is not None:
            raise reader.exception()

    async def _online(self) -> None:
        await self._boot_until_accepted()
        self.accepted.set()
        await self.notify_status(list(self.connectors), include_charger=True)
        while True:
            await asyncio.sleep(max(1, self.configuration.integer("HeartbeatInterval")))
            await self.call(call.Heartbeat())

    async def _boot_until_accepted(self) -> None:
        while True:
            answer = await self.call(self._boot_notification(), before_accepted=True)
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

    def _boot_notification(self) -> call.BootNotification:
        return call.BootNotification(
            charge_point_model=self.options.model,
            charge_point_vendor=self.options.vendor,
            charge_point_serial_number=self.charger_id[-25:],
            firmware_version="sim-1.0",
            meter_type="SimMeter",
            meter_serial_number=f"M-{self.charger_id}"[-25:],
        )

    def reboot(self, kind: ResetType) -> None:
        """Reset: end every session (reason SoftReset/HardReset), then reconnect and boot."""
        self.rebooting = True
        self.spawn(self._reboot(kind))

    async def _reboot(self, kind: ResetType) -> None:
        reason = Reason.hard_reset if kind == ResetType.hard else Reason.soft_reset
        await self.end_sessions(reason)
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

    async def notify_status(self, connectors: list[Connector], include_charger: bool) -> None:
        if include_charger:
            overall = (
                ChargePointStatus.available
                if self.connectors.charger_operative
                else ChargePointStatus.unavailable
            )
            await self._status_notification(0, overall)
        for connector in connectors:
            await self._status_notification(connector.connector_id, connector.status)

    async def _status_notification(self, connector_id: int, status: ChargePointStatus) -> None:
        await self.call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=ChargePointErrorCode.no_error,
                status=status,
                timestamp=wire_now(),
            )
        )

    def send_triggered(self, message: MessageTrigger, connector_id: int | None) -> None:
        """Send the message a TriggerMessage asked for."""
        self.spawn(self._send_triggered(message, connector_id))

    async def _send_triggered(self, message: MessageTrigger, connector_id: int | None) -> None:
        targets = [self.connectors.get(connector_id)] if connector_id else list(self.connectors)
        if message == MessageTrigger.boot_notification:
            await self.call(self._boot_notification(), before_accepted=True)
        elif message == MessageTrigger.heartbeat:
            await self.call(call.Heartbeat())
        elif message == MessageTrigger.status_notification:
            await self.notify_status(targets, include_charger=not connector_id)
        elif message == MessageTrigger.meter_values:
            for connector in targets:
                await self.call(meter_values(self, connector, trigger=True))
        elif message == MessageTrigger.diagnostics_status_notification:
            await self.call(call.DiagnosticsStatusNotification(status=DiagnosticsStatus.idle))
        elif message == MessageTrigger.firmware_status_notification:
            await self.call(call.FirmwareStatusNotification(status=FirmwareStatus.idle))

    # -- sessions ----------------------------------------------------------------------
    def claim(self, connector: Connector, id_tag: str, remote: bool) -> Session:
        session = Session(id_tag=id_tag, remote=remote, duration=self.options.session_duration)
        connector.session = session
        return session

    def launch(self, connector: Connector, session: Session) -> None:
        self.spawn(charge(self, connector, session))

    def start_local_session(self, id_tag: str) -> bool:
        """A driver plugs in and presents `id_tag` at a free connector; False if none is free."""
        connector = self.connectors.free_connector()
        if connector is None or not self.accepted.is_set() or self.rebooting:
            return False
        self.launch(connector, self.claim(connector, id_tag, remote=False))
        return True

    async def end_sessions(self, reason: Reason) -> None:
        sessions = self.connectors.sessions()
        for session in sessions:
            session.request_stop(reason)
        await asyncio.gather(*(session.finished.wait() for session in sessions))

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
