"""Load patterns shared by the scenarios: open a fleet, boot it, drive heartbeats."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.wire import WireCharger
from domain.clock import to_wire, utcnow
from sim.stats import percentile

BOOT = {"chargePointVendor": "Voltline", "chargePointModel": "Bench"}


@dataclass
class Throughput:
    completed: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000


async def open_fleet(
    base_url: str,
    ids: list[str],
    auth_key: str | None = None,
    parallel: int = 200,
    boot: bool = True,
) -> list[WireCharger]:
    """Connect (and BootNotification) every id, `parallel` handshakes at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(charger_id: str) -> WireCharger:
        async with gate:
            charger = await WireCharger.open(base_url, charger_id, auth_key)
            if boot:
                await charger.call("BootNotification", BOOT)
            return charger

    return list(await asyncio.gather(*(one(charger_id) for charger_id in ids)))


async def close_fleet(chargers: list[WireCharger]) -> None:
    await asyncio.gather(*(charger.close() for charger in chargers), return_exceptions=True)


async def heartbeat_throughput(
    chargers: list[WireCharger], seconds: float, warmup: float = 1.0
) -> Throughput:
    """Every charger sends Heartbeat after Heartbeat (closed loop); counts the measured window."""
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    window_end = window_start + seconds
    latencies: list[float] = []

    async def drive(charger: WireCharger) -> None:
        while loop.time() < window_end:
            _, elapsed = await charger.call("Heartbeat", {})
            if window_start <= loop.time() <= window_end:
                latencies.append(elapsed)

    await asyncio.gather(*(drive(charger) for charger in chargers))
    return Throughput(len(latencies), seconds, latencies)


async def heartbeat_every(chargers: list[WireCharger], interval: float, until: float) -> int:
    """Each charger heartbeats once per `interval` (spread out) until loop time `until`."""
    loop = asyncio.get_running_loop()
    answered = 0

    async def beat(index: int, charger: WireCharger) -> None:
        nonlocal answered
        await asyncio.sleep(interval * index / max(1, len(chargers)))
        while loop.time() < until:
            await charger.call("Heartbeat", {})
            answered += 1
            await asyncio.sleep(interval)

    await asyncio.gather(*(beat(i, charger) for i, charger in enumerate(chargers)))
    return answered


def now_wire() -> str:
    return to_wire(utcnow())


def elapsed_since(started: float) -> float:
    return time.perf_counter() - started
