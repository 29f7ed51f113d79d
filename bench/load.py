"""Load patterns shared by the scenarios: open a fleet, boot it, drive heartbeats."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bench.wire import WireCharger
from sim.stats import percentile

BOOT = {"chargePointVendor": "Voltline", "chargePointModel": "Bench"}


@dataclass
class Throughput:
    completed: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    total: int = 0  # completed including warm-up, for CPU per operation
    server_cpu_seconds: float = 0.0  # the server's CPU over warm-up and window

    @property
    def cpu_ms_per_operation(self) -> float:
        return 1000 * self.server_cpu_seconds / self.total if self.total else 0.0

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000


async def connect_all(
    base_url: str,
    ids: list[str],
    auth_key: str | None = None,
    parallel: int = 200,
    boot: bool = True,
) -> tuple[list[WireCharger], list[BaseException]]:
    """Connect (and BootNotification) every id, `parallel` handshakes at a time.

    Returns the chargers that made it and the errors of those that did not.
    """
    gate = asyncio.Semaphore(parallel)

    async def one(charger_id: str) -> WireCharger:
        async with gate:
            charger = await WireCharger.open(base_url, charger_id, auth_key)
            if boot:
                await charger.call("BootNotification", BOOT)
            return charger

    outcomes = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
    chargers = [outcome for outcome in outcomes if isinstance(outcome, WireCharger)]
    errors = [outcome for outcome in outcomes if not isinstance(outcome, WireCharger)]
    return chargers, errors


async def open_fleet(
    base_url: str, ids: list[str], auth_key: str | None = None, parallel: int = 200
) -> list[WireCharger]:
    """Connect and boot every id; raises the first failure (after closing the rest)."""
    chargers, errors = await connect_all(base_url, ids, auth_key, parallel)
    if errors:
        await close_fleet(chargers)
        raise errors[0]
    return chargers


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

    total = 0

    async def drive(charger: WireCharger) -> None:
        nonlocal total
        while loop.time() < window_end:
            _, elapsed = await charger.call("Heartbeat", {})
            total += 1
            if window_start <= loop.time() <= window_end:
                latencies.append(elapsed)

    await asyncio.gather(*(drive(charger) for charger in chargers))
    return Throughput(len(latencies), seconds, latencies, total)


async def heartbeat_every(
    chargers: list[WireCharger], interval: float, seconds: float
) -> tuple[Throughput, int]:
    """Each charger heartbeats once per `interval`, spread evenly, for `seconds`.

    Returns the answered heartbeats (with latencies) and how many chargers failed.
    """
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    answered = Throughput(0, seconds)
    failed = 0

    async def beat(index: int, charger: WireCharger) -> None:
        nonlocal failed
        due = loop.time() + interval * index / max(1, len(chargers))
        try:
            while due < until:
                await asyncio.sleep(due - loop.time())
                _, elapsed = await charger.call("Heartbeat", {})
                answered.latencies.append(elapsed)
                due += interval
        except Exception:  # noqa: BLE001 - any failure counts against the fleet
            failed += 1
        await asyncio.sleep(max(0.0, until - loop.time()))

    await asyncio.gather(*(beat(i, charger) for i, charger in enumerate(chargers)))
    answered.completed = len(answered.latencies)
    return answered, failed
