"""What a charger's behaviours (sessions, notifications, the protocol link) need from the
simulated charger they run on. SimulatedCharger is one; the behaviours depend on this
protocol, not on sim/charger.py, so the simulator has no import circle."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from ocpp.v16.enums import ResetType

from sim.configuration import Configuration
from sim.connectors import Connectors
from sim.options import ChargerOptions
from sim.stats import FleetStats


class Device(Protocol):
    charger_id: str
    options: ChargerOptions
    stats: FleetStats
    connectors: Connectors
    configuration: Configuration
    accepted: asyncio.Event
    rebooting: bool

    async def call(self, payload: Any, *, before_accepted: bool = False) -> Any:
        """Send one CALL; its result, or None after a CALLERROR, timeout or close."""

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` in the background for as long as the charger lives."""

    def reboot(self, kind: ResetType) -> None:
        """End every session, then reconnect and boot."""
