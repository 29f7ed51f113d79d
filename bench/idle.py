"""Scenario 2, idle capacity: `python -m bench.idle`.

Connects chargers to Voltline (gunicorn + gevent, PostgreSQL + Redis) in steps, each one
booted and kept heartbeating, measuring the server's resident memory after every step; then
holds them all for a while. Prints how many stayed connected, memory per connection (the
slope from the first to the last step) and heartbeat latency while holding, beside the same
fleet on a bare `websockets` server and on the Flask-Sock floor (the baselines for memory
per connection).
Targets (issue 13): >= 20,000 chargers held by one node, <= 1.15x the memory per
connection of the Flask-Sock floor (the same gunicorn + gevent stack answering by hand).

Limits on this machine: a process may hold at most `ulimit -n` (hard 20,000 here) sockets,
and the load generator is one process, so one run tops out just under that; the
default is a modest 2,000 chargers because the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
from dataclasses import dataclass, field

from bench.cli import run_cli, scenario_parser
from bench.load import Throughput, close_fleet, connect_all, heartbeat_every
from bench.processes import FLASK_SOCK_FLOOR, Target, baseline_server, tree_pids, tree_rss_kib
from bench.report import Report, progress
from bench.voltline import (
    raise_open_files_limit,
    run_tag,
    voltline_server,
    voltline_target,
)
from bench.wire import WireCharger

WARM = 20  # chargers connected before the memory baseline (first-use imports and caches)


@dataclass
class Capacity:
    held: int = 0
    refused: int = 0
    steps: list[tuple[int, int]] = field(default_factory=list)  # (connected, server RSS KiB)
    heartbeats: Throughput | None = None
    lost_while_holding: int = 0

    @property
    def kib_per_connection(self) -> float:
        (first_n, first_rss), (last_n, last_rss) = self.steps[0], self.steps[-1]
        return (last_rss - first_rss) / (last_n - first_n) if last_n > first_n else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser("bench.idle", __doc__, timed=False, profile=False, log_level="WARNING")
    parser.add_argument("--chargers", type=int, default=2000, help="chargers to connect")
    parser.add_argument("--steps", type=int, default=4, help="connection steps (memory points)")
    parser.add_argument("--interval", type=int, default=60, help="heartbeat interval, seconds")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to hold them all")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--parallel", type=int, default=100, help="handshakes at a time")
    return parser.parse_args(argv)


async def fill(target: Target, ids: list[str], args: argparse.Namespace) -> Capacity:
    capacity = Capacity()
    chargers: list[WireCharger] = []
    try:
        warm, errors = await connect_all(target.base_url, ids[:WARM], parallel=args.parallel)
        chargers += warm
        await asyncio.sleep(1)
        capacity.steps.append((len(chargers), tree_rss_kib(target.pid)))
        rest = ids[WARM:]
        size = max(1, -(-len(rest) // max(1, args.steps)))
        for start in range(0, len(rest), size):
            opened, errors = await connect_all(
                target.base_url, rest[start : start + size], parallel=args.parallel
            )
            chargers += opened
            capacity.refused += len(errors)
            await asyncio.sleep(1)
            capacity.steps.append((len(chargers), tree_rss_kib(target.pid)))
            progress(f"{target.name}: {len(chargers)} connected, {capacity.steps[-1][1]:,} KiB")
            if errors:
                progress(f"{target.name}: {len(errors)} refused, first: {errors[0]!r}")
                break
        capacity.heartbeats, failed = await heartbeat_every(chargers, args.interval, args.hold)
        closed = sum(not charger.is_open for charger in chargers)
        capacity.lost_while_holding = max(failed, closed)
        capacity.held = len(chargers) - capacity.lost_while_holding
        return capacity
    finally:
        await close_fleet(chargers)


def run(args: argparse.Namespace) -> Report:
    raise_open_files_limit()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    tag = run_tag()
    ids = [f"idle-{tag}-{index}" for index in range(args.chargers)]
    report = Report(f"idle capacity, {args.chargers} chargers heartbeating every {args.interval}s")
    env = {"HEARTBEAT_INTERVAL": str(args.interval)}
    progress(f"voltline: connecting {args.chargers} chargers in {args.steps} steps")
    with voltline_server(ids, env=env, log_level=args.log_level, workers=args.workers) as (
        server,
        _,
    ):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        voltline = asyncio.run(fill(target, ids, args))
    results = {"voltline": voltline}
    for kind in ("bare", FLASK_SOCK_FLOOR):
        progress(f"{kind} baseline: connecting {args.chargers} chargers")
        with baseline_server(kind, args.log_level) as target:
            report.started(tree_pids(target.pid))
            results[kind] = asyncio.run(fill(target, ids, args))
    for name, result in results.items():
        report.figure(f"{name} chargers held", result.held, "")
        report.figure(f"{name} refused or lost", result.refused + result.lost_while_holding, "")
        report.figure(f"{name} memory per connection", result.kib_per_connection, "KiB")
        report.figure(f"{name} server RSS at the top", result.steps[-1][1] / 1024, "MiB")
        report.figure(f"{name} heartbeat p99 while holding", result.heartbeats.p(0.99), "ms")
    report.ratio(
        "voltline / bare memory per connection",
        voltline.kib_per_connection,
        results["bare"].kib_per_connection,
    )
    floor = report.ratio(
        "voltline / Flask-Sock floor memory per connection",
        voltline.kib_per_connection,
        results[FLASK_SOCK_FLOOR].kib_per_connection,
    )
    report.target(">= 20,000 chargers held by one node (issue 13)", voltline.held >= 20000)
    report.target("<= 1.15x the Flask-Sock floor per connection (issue 13)", floor <= 1.15)
    report.note(
        f"open files limit {soft} per process (server and load generator each need one "
        f"per charger); gunicorn workers: {args.workers}"
    )
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
