"""Scenario 3, transactions: `python -m bench.transactions`.

N chargers each run StartTransaction -> StopTransaction pairs back to back against Voltline
(gunicorn + gevent, PostgreSQL + Redis); every `.conf` is sent only after its commit. Prints
pairs/s with p50/p99 pair latency, checks that every acknowledged pair is a Completed row
in PostgreSQL, and compares with the database's own ceiling measured in the same run: the
same pair as two bare SQL commits (INSERT..RETURNING, UPDATE) from as many connections as
the server's pool holds.
Targets (issue 13): >= 1,000 pairs/s per worker; p99 < 50 ms (stated open-loop at half that
rate; this run is closed-loop, so its p99 is an upper bound).
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import nullcontext
from dataclasses import dataclass, field

from bench.cli import run_cli, scenario_parser
from bench.database import COMPLETED, sql_pair_ceiling, transaction_counts
from bench.load import Throughput, close_fleet, open_fleet
from bench.processes import CpuMeter, Target, tree_pids
from bench.profile import profiled
from bench.report import Report, progress
from bench.voltline import run_tag, voltline_server, voltline_target
from bench.wire import WireCharger
from domain.clock import to_wire, utcnow

# domain/db.py: pool_size 10 + max_overflow 20 connections per server process.
SERVER_POOL = 30


@dataclass
class PairRun:
    pairs: Throughput
    acknowledged: int = 0
    start_latencies: list[float] = field(default_factory=list)
    stop_latencies: list[float] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser("bench.transactions", __doc__, timed=True, profile=True)
    parser.add_argument("--chargers", type=int, default=50, help="concurrent chargers")
    return parser.parse_args(argv)


async def run_pairs(chargers: list[WireCharger], seconds: float, warmup: float) -> PairRun:
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    window_end = window_start + seconds
    run = PairRun(Throughput(0, seconds))

    async def drive(charger: WireCharger, tag: str) -> None:
        meter = 0
        while loop.time() < window_end:
            started, start_s = await charger.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": tag, "meterStart": meter, "timestamp": _now()},
            )
            meter += 1000
            _, stop_s = await charger.call(
                "StopTransaction",
                {
                    "transactionId": started["transactionId"],
                    "meterStop": meter,
                    "timestamp": _now(),
                    "reason": "Local",
                    "idTag": tag,
                },
            )
            run.acknowledged += 1
            if window_start <= loop.time() <= window_end:
                run.pairs.latencies.append(start_s + stop_s)
                run.start_latencies.append(start_s)
                run.stop_latencies.append(stop_s)

    await asyncio.gather(*(drive(charger, id_tag_of(charger.charger_id)) for charger in chargers))
    run.pairs.completed = len(run.pairs.latencies)
    return run


def id_tag_of(charger_id: str) -> str:
    """A tag of the charger's own (CiString20), so no tag is ever ConcurrentTx."""
    return "T" + charger_id.rsplit("-", 2)[-2][:6] + charger_id.rsplit("-", 1)[-1]


def _now() -> str:
    # The start timestamp is part of a transaction's identity (a retry has the same one);
    # pairs on one charger are milliseconds apart, so each start is its own.
    return to_wire(utcnow())


async def drive(
    target: Target, ids: list[str], seconds: float, warmup: float, profile=None
) -> PairRun:
    chargers = await open_fleet(target.base_url, ids)
    try:
        with profile or nullcontext(), CpuMeter(target.pid) as cpu:
            run = await run_pairs(chargers, seconds, warmup)
        run.pairs.total = run.acknowledged
        run.pairs.server_cpu_seconds = cpu.seconds
        return run
    finally:
        await close_fleet(chargers)


def run(args: argparse.Namespace) -> Report:
    tag = run_tag()
    ids = [f"tx-{tag}-{index}" for index in range(args.chargers)]
    tags = [id_tag_of(charger_id) for charger_id in ids]
    progress(f"voltline: {args.chargers} chargers, Start+Stop pairs for {args.seconds}s")
    report = Report(f"transactions, {args.chargers} chargers, Start+Stop pairs")
    with voltline_server(ids, tags, log_level=args.log_level) as (server, url):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        profile = profiled(target.pid, args.profile, "transactions", args.seconds + args.warmup)
        result = asyncio.run(drive(target, ids, args.seconds, args.warmup, profile))
        counts = transaction_counts(url)
        workers = min(args.chargers, SERVER_POOL)
        progress(f"SQL ceiling: {workers} connections, {args.seconds}s")
        ceiling = sql_pair_ceiling(url, workers, args.seconds)
    pairs = report.figure("voltline pairs/s", result.pairs.per_second, "/s")
    p99 = report.figure("voltline pair p99", result.pairs.p(0.99), "ms")
    report.figure("voltline pair p50", result.pairs.p(0.50), "ms")
    report.figure("voltline StartTransaction p50", _p(result.start_latencies, 0.5), "ms")
    report.figure("voltline StopTransaction p50", _p(result.stop_latencies, 0.5), "ms")
    report.figure("voltline server CPU per pair", result.pairs.cpu_ms_per_operation, "ms")
    report.figure("pairs acknowledged", result.acknowledged, "")
    report.figure("Completed rows in PostgreSQL", counts.get(COMPLETED, 0), "")
    report.figure("other rows", sum(counts.values()) - counts.get(COMPLETED, 0), "")
    report.figure("SQL ceiling pairs/s", ceiling.per_second, "/s")
    report.figure("SQL ceiling pair p99", ceiling.p(0.99), "ms")
    report.ratio("voltline / SQL ceiling", pairs, ceiling.per_second)
    report.target(">= 1,000 pairs/s per worker (issue 13)", pairs >= 1000)
    report.target("p99 < 50 ms (issue 13)", p99 < 50)
    report.target(
        "every acknowledged pair is one Completed row",
        counts.get(COMPLETED, 0) == result.acknowledged and len(counts) == 1,
    )
    return report


def _p(samples: list[float], fraction: float) -> float:
    return Throughput(len(samples), 1, samples).p(fraction)


if __name__ == "__main__":
    run_cli(run, parse_args)
