"""Many simulated chargers at once: connection ramp, session arrivals, progress, shutdown."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from sim.charger import SimulatedCharger
from sim.options import ChargerOptions
from sim.session import start_local_session
from sim.stats import FleetStats
from sim.waiting import cancel_and_wait


@dataclass(frozen=True)
class FleetOptions:
    charger: ChargerOptions
    ids: tuple[str, ...]
    id_tags: tuple[str, ...] = ("SIMTAG01",)
    session_rate: float = 0.0
    duration: float = 60.0
    connect_rate: float = 50.0
    progress_interval: float = 5.0
    shutdown_timeout: float = 30.0


def fleet_ids(prefix: str, count: int, first_index: int = 1) -> tuple[str, ...]:
    return tuple(f"{prefix}{index}" for index in range(first_index, first_index + count))


class Fleet:
    """The chargers of one run and the tasks that drive them."""

    def __init__(self, options: FleetOptions, report: Callable[[str], None] = print):
        self.options = options
        self.report = report
        self.stats = FleetStats()
        self.chargers = [SimulatedCharger(i, options.charger, self.stats) for i in options.ids]

    def progress_line(self, elapsed: float) -> str:
        connected = sum(charger.link is not None for charger in self.chargers)
        accepted = sum(charger.accepted.is_set() for charger in self.chargers)
        active = sum(len(charger.connectors.sessions()) for charger in self.chargers)
        events = self.stats.events
        failures = sum(self.stats.call_errors.values()) + sum(self.stats.timeouts.values())
        return (
            f"[{elapsed:7.1f}s] connected {connected}/{len(self.chargers)} accepted {accepted} "
            f"sessions active {active} started {events['sessions_started']} "
            f"completed {events['sessions_completed']} calls {self.stats.messages_sent} "
            f"failed {failures}"
        )

    async def run(self, stop: asyncio.Event | None = None) -> float:
        """Run until `duration` passes (0 = until `stop` is set); returns the seconds run."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        started = loop.time()
        runs = []
        helpers = [
            asyncio.create_task(self._ramp(stop, runs)),
            asyncio.create_task(self._sessions(stop)),
            asyncio.create_task(self._progress(started)),
        ]
        try:
            if self.options.duration > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.options.duration)
                except TimeoutError:
                    pass
            else:
                await stop.wait()
        finally:
            stop.set()
            await cancel_and_wait(helpers)
            await self._shut_down(runs)
        return loop.time() - started

    async def _ramp(self, stop: asyncio.Event, runs: list[asyncio.Task]) -> None:
        gap = 1.0 / self.options.connect_rate if self.options.connect_rate > 0 else 0.0
        for charger in self.chargers:
            if stop.is_set():
                return
            runs.append(asyncio.create_task(charger.run(stop)))
            if gap:
                await asyncio.sleep(gap)

    async def _sessions(self, stop: asyncio.Event) -> None:
        if self.options.session_rate <= 0:
            return
        while not stop.is_set():
            await asyncio.sleep(random.expovariate(self.options.session_rate))
            candidates = [charger for charger in self.chargers if charger.accepted.is_set()]
            random.shuffle(candidates)
            # A driver's card charges one car at a time: a tag already in a session would
            # rightly be answered ConcurrentTx, so only free tags arrive.
            free_tags = sorted(set(self.options.id_tags) - self._tags_in_use())
            if not free_tags:
                self.stats.count("sessions_without_free_id_tag")
                continue
            tag = random.choice(free_tags)
            if not any(start_local_session(charger, tag) for charger in candidates):
                self.stats.count("sessions_without_free_connector")

    def _tags_in_use(self) -> set[str]:
        return {
            session.id_tag for charger in self.chargers for session in charger.connectors.sessions()
        }

    async def _progress(self, started: float) -> None:
        if self.options.progress_interval <= 0:
            return
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.options.progress_interval)
            self.report(self.progress_line(loop.time() - started))

    async def _shut_down(self, runs: list[asyncio.Task]) -> None:
        """Let every charger stop its sessions and close; cancel what outlives the bound."""
        if not runs:
            return
        _, late = await asyncio.wait(runs, timeout=self.options.shutdown_timeout)
        if late:
            self.stats.count("chargers_cancelled_at_shutdown", len(late))
            await cancel_and_wait(list(late))
