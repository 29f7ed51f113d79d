"""What a crash costs (SIGKILL of the gunicorn master and worker, as a lost machine would):
every transaction whose .conf a charger received is in PostgreSQL, and the bookkeeping
written behind loses at most the last second of frames; a graceful stop loses none."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from domain.db import Database
from domain.models import OcppMessage, Transaction
from domain.write_behind import MAX_INTERVAL
from tests.live_server import postgres_live_server
from tests.ocpp_client import ask, raw_socket, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHARGERS = 20
# The loss window is the flush interval; a flush that was under way when the worker died
# and the scheduling of a loaded machine may add up to this much.
SCHEDULING_SLACK = 1.0


@dataclass
class Storm:
    """What the chargers were told, while the server was alive."""

    wanted: int
    answered_at: dict[str, float] = field(default_factory=dict)  # unique id -> monotonic
    started: set[int] = field(default_factory=set)
    stopped: set[int] = field(default_factory=set)
    enough: asyncio.Event = field(default_factory=asyncio.Event)
    ended_at: float = 0.0  # when the server was killed or stopped

    def answered(self, unique_id: str) -> None:
        self.answered_at[unique_id] = time.monotonic()
        if len(self.answered_at) >= self.wanted:
            self.enough.set()


async def heartbeats(url: str, name: str, storm: Storm) -> None:
    async with raw_socket(url) as ws:
        for n in itertools.count():
            unique_id = f"{name}-hb-{n}"
            reply = await ask(ws, unique_id, "Heartbeat", {})
            assert reply[:2] == [3, unique_id]
            storm.answered(unique_id)


async def start_stop_pairs(url: str, name: str, storm: Storm) -> None:
    async with raw_socket(url) as ws:
        for n in itertools.count():
            when = f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z"
            start = {"connectorId": 1, "idTag": "STORM", "meterStart": n, "timestamp": when}
            reply = await ask(ws, f"{name}-start-{n}", "StartTransaction", start)
            transaction_id = reply[2]["transactionId"]
            storm.started.add(transaction_id)
            storm.answered(f"{name}-start-{n}")
            stop = {"transactionId": transaction_id, "meterStop": n + 10, "timestamp": when}
            reply = await ask(ws, f"{name}-stop-{n}", "StopTransaction", stop)
            assert reply[:2] == [3, f"{name}-stop-{n}"]
            storm.stopped.add(transaction_id)
            storm.answered(f"{name}-stop-{n}")


def run_until_enough(server, database: Database, drive, wanted: int, crash: bool) -> Storm:
    """Drive CHARGERS sockets until `wanted` answers, then kill (or gracefully stop) the
    server while they are still sending; returns what they were told and when."""
    names = [register_charger(database, "crash") for _ in range(CHARGERS)]

    async def scenario() -> Storm:
        storm = Storm(wanted)
        tasks = [asyncio.create_task(drive(server.ws_url(n), n, storm)) for n in names]
        done, _ = await asyncio.wait(
            [asyncio.create_task(storm.enough.wait()), *tasks],
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert storm.enough.is_set(), [t.exception() for t in done if t in tasks]
        storm.ended_at = time.monotonic()
        (server.kill if crash else server.stop)()
        await asyncio.gather(*tasks, return_exceptions=True)  # their sockets are gone
        storm.answered_at = {k: t for k, t in storm.answered_at.items() if t <= storm.ended_at}
        return storm

    return asyncio.run(scenario())


def logged_calls(database: Database) -> set[str]:
    with database.unit_of_work() as session:
        return set(
            session.scalars(select(OcppMessage.unique_id).where(OcppMessage.direction == "in"))
        )


def test_every_transaction_a_charger_was_answered_survives_a_crash_of_the_worker():
    with postgres_live_server() as server:
        database = Database(server.database_url)
        try:
            storm = run_until_enough(server, database, start_stop_pairs, 400, crash=True)
            with database.unit_of_work() as session:
                rows = {
                    tx.id: tx.status
                    for tx in session.scalars(
                        select(Transaction).where(Transaction.id.in_(storm.started))
                    )
                }
            calls = logged_calls(database)
        finally:
            database.dispose()
    assert storm.started and set(rows) == storm.started
    assert {rows[tx] for tx in storm.stopped} == {"Completed"}
    # Their CALLs were logged in the same unit of work: none is missing either.
    assert set(storm.answered_at) <= calls


def test_a_crash_loses_at_most_the_last_second_of_written_behind_heartbeats():
    with postgres_live_server() as server:
        database = Database(server.database_url)
        try:
            storm = run_until_enough(server, database, heartbeats, 3000, crash=True)
            calls = logged_calls(database)
        finally:
            database.dispose()
    lost = {unique_id: storm.ended_at - at for unique_id, at in storm.answered_at.items()
            if unique_id not in calls}  # fmt: skip
    oldest_lost = max(lost.values(), default=0.0)
    print(f"{len(lost)} of {len(storm.answered_at)} answered heartbeats lost, the oldest "
          f"answered {oldest_lost:.3f} s before the crash")  # fmt: skip
    assert oldest_lost <= MAX_INTERVAL + SCHEDULING_SLACK, json.dumps(sorted(lost.values())[-5:])


def test_a_graceful_stop_writes_every_answered_heartbeat():
    with postgres_live_server() as server:
        database = Database(server.database_url)
        try:
            storm = run_until_enough(server, database, heartbeats, 1000, crash=False)
            calls = logged_calls(database)
        finally:
            database.dispose()
    assert set(storm.answered_at) <= calls
