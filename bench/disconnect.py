"""Scenario 6, disconnect storm: `python -m bench.disconnect`.

Connects a storm fleet and a steady fleet to Voltline (gunicorn + gevent, PostgreSQL +
Redis), keeps the steady fleet heartbeating every `--interval` seconds, and a few seconds in
drops every socket of the storm fleet at once. Prints the steady fleet's heartbeat latency
during the storm, then, once the server has had `--settle` seconds, how many of the storm's
chargers still have a presence key in Redis (stale presence routes commands to a node that
no longer holds the charger) and how many are Disconnected in PostgreSQL.
Targets (issue 13): a 5,000-charger disconnect storm leaves no stale presence, and the other
chargers' Heartbeats keep p99 < 1 s during it.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

import redis
from sqlalchemy import func, select

from adapters.presence import presence_key
from bench.cli import run_cli, scenario_parser
from bench.load import Throughput, close_fleet, connect_all, heartbeat_every
from bench.processes import CpuMeter, Target, tree_pids
from bench.report import Report, progress
from bench.voltline import raise_open_files_limit, run_tag, voltline_server, voltline_target
from domain.db import Database
from domain.models import Charger, ChargerStatus
from tests.services import require_redis

STORM_AFTER = 3.0  # seconds of steady heartbeats before the storm's sockets drop


@dataclass
class Storm:
    heartbeats: Throughput
    failed_heartbeats: int
    dropped: int
    server_cpu_seconds: float


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser("bench.disconnect", __doc__, timed=False, profile=False)
    parser.add_argument("--chargers", type=int, default=5000, help="chargers in the storm")
    parser.add_argument("--steady", type=int, default=500, help="chargers heartbeating on")
    parser.add_argument("--interval", type=float, default=1.0, help="their heartbeat interval")
    parser.add_argument("--seconds", type=float, default=12.0, help="heartbeats measured")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before the checks")
    parser.add_argument("--parallel", type=int, default=200, help="handshakes at a time")
    return parser.parse_args(argv)


async def storm(target: Target, storm_ids: list[str], steady_ids: list[str], args) -> Storm:
    steady, errors = await connect_all(target.base_url, steady_ids, parallel=args.parallel)
    dropping, more = await connect_all(target.base_url, storm_ids, parallel=args.parallel)
    if errors or more:
        await close_fleet(steady + dropping)
        raise (errors + more)[0]
    progress(f"voltline: {len(steady)} steady and {len(dropping)} storm chargers connected")

    async def drop_later() -> None:
        await asyncio.sleep(STORM_AFTER)
        progress(f"voltline: dropping {len(dropping)} sockets at once")
        await close_fleet(dropping)

    try:
        with CpuMeter(target.pid) as cpu:
            (heartbeats, failed), _ = await asyncio.gather(
                heartbeat_every(steady, args.interval, args.seconds), drop_later()
            )
        return Storm(heartbeats, failed, len(dropping), cpu.seconds)
    finally:
        await close_fleet(steady)


def stale_presence(redis_url: str, ids: list[str]) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        pipeline = client.pipeline(transaction=False)
        for charger_id in ids:
            pipeline.exists(presence_key(charger_id))
        return sum(pipeline.execute())
    finally:
        client.close()


def disconnected(database_url: str, ids: list[str]) -> int:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return session.scalar(
                select(func.count()).where(
                    Charger.name.in_(ids), Charger.status == ChargerStatus.DISCONNECTED
                )
            )
    finally:
        database.dispose()


def run(args: argparse.Namespace) -> Report:
    raise_open_files_limit()
    tag = run_tag()
    storm_ids = [f"drop-{tag}-{index}" for index in range(args.chargers)]
    steady_ids = [f"stay-{tag}-{index}" for index in range(args.steady)]
    report = Report(
        f"disconnect storm, {args.chargers} chargers dropped, {args.steady} heartbeating on"
    )
    env = {"HEARTBEAT_INTERVAL": str(max(1, round(args.interval)))}
    with voltline_server(storm_ids + steady_ids, env=env, log_level=args.log_level) as (
        server,
        database_url,
    ):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        result = asyncio.run(storm(target, storm_ids, steady_ids, args))
        progress(f"voltline: {args.settle}s for the server to settle")
        asyncio.run(asyncio.sleep(args.settle))
        stale = stale_presence(require_redis(), storm_ids)
        gone = disconnected(database_url, storm_ids)
    p99 = report.figure("steady heartbeat p99 during the storm", result.heartbeats.p(0.99), "ms")
    report.figure("steady heartbeat p50 during the storm", result.heartbeats.p(0.50), "ms")
    report.figure("steady heartbeats answered", result.heartbeats.completed, "")
    report.figure("steady chargers failed", result.failed_heartbeats, "")
    report.figure("storm sockets dropped", result.dropped, "")
    report.figure("storm chargers still present in Redis", stale, "")
    report.figure("storm chargers Disconnected in PostgreSQL", gone, "")
    report.figure("server CPU over the run", result.server_cpu_seconds, "s")
    report.target("no stale presence after the storm (issue 13)", stale == 0)
    report.target(
        "the other chargers' Heartbeats keep p99 < 1 s (issue 13)",
        p99 < 1000 and result.failed_heartbeats == 0,
    )
    report.target("every dropped charger Disconnected", gone == result.dropped)
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
