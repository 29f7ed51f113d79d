"""Scenario 3, transactions: `python -m bench.transactions`.

N chargers each run StartTransaction -> StopTransaction pairs back to back against Voltline
(gunicorn + gevent, PostgreSQL + Redis); every `.conf` is sent only after its commit. Prints
pairs/s with p50/p99 pair latency, checks that every acknowledged pair is a Completed row
in PostgreSQL, and compares with the database's own ceiling measured in the same run: the
same pair as two bare SQL commits (INSERT..RETURNING, UPDATE) from as many connections as
the server's pool holds.
Targets (issue 13): >= 1,000 pairs/s per worker; p99 < 50 ms (stated open-loop at half that
rate). By default the run is closed-loop (each charger starts its next pair as soon as the
last is acknowledged: the most the worker can take, and a p99 that is only an upper bound);
`--rate R` offers R pairs/s open-loop instead, spread evenly over the chargers, and measures
each pair from the moment it was due (a pair started late because the charger was still
waiting counts its wait).
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
    parser.add_argument(
        "--rate", type=float, default=0.0, help="pairs/s offered open-loop (0: closed-loop)"
    )
    return parser.parse_args(argv)


async def run_pairs(
    chargers: list[WireCharger], seconds: float, warmup: float, rate: float = 0.0
) -> PairRun:
    """Closed-loop pairs, or `rate` pairs/s open-loop (latency counted from when each was due)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    window_start = began + warmup
    window_end = window_start + seconds
    run = PairRun(Throughput(0, seconds))
    interval = len(chargers) / rate if rate else 0.0

    async def drive(index: int, charger: WireCharger, tag: str) -> None:
        meter = 0
        due = began + index / rate if rate else loop.time()
        while due < window_end:
            if rate:
                await asyncio.sleep(max(0.0, due - loop.time()))
            else:
                due = loop.time()
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
            if window_start <= due <= window_end:
                run.pairs.latencies.append(loop.time() - due)
                run.start_latencies.append(start_s)
                run.stop_latencies.append(stop_s)
            due = due + interval if rate else loop.time()

    await asyncio.gather(
        *(
            drive(index, charger, id_tag_of(charger.charger_id))
            for index, charger in enumerate(chargers)
        )
    )
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
    target: Target, ids: list[str], seconds: float, warmup: float, rate: float, profile=None
) -> PairRun:
    chargers = await open_fleet(target.base_url, ids)
    try:
        with profile or nullcontext(), CpuMeter(target.pid) as cpu:
            run = await run_pairs(chargers, seconds, warmup, rate)
        run.pairs.total = run.acknowledged
        run.pairs.server_cpu_seconds = cpu.seconds
        return run
    finally:
        await close_fleet(chargers)


def run(args: argparse.Namespace) -> Report:
    tag = run_tag()
    ids = [f"tx-{tag}-{index}" for index in range(args.chargers)]
    tags = [id_tag_of(charger_id) for charger_id in ids]
    offered = f"{args.rate:g} pairs/s offered open-loop" if args.rate else "closed-loop"
    progress(f"voltline: {args.chargers} chargers, Start+Stop pairs for {args.seconds}s, {offered}")
    report = Report(f"transactions, {args.chargers} chargers, Start+Stop pairs, {offered}")
    with voltline_server(ids, tags, log_level=args.log_level) as (server, url):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        profile = profiled(target.pid, args.profile, "transactions", args.seconds + args.warmup)
        result = asyncio.run(drive(target, ids, args.seconds, args.warmup, args.rate, profile))
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
    report.target(
        "p99 < 50 ms open-loop at half of 1,000 pairs/s (issue 13)",
        bool(args.rate) and args.rate >= 500 and p99 < 50,
    )
    report.target(
        "every acknowledged pair is one Completed row",
        counts.get(COMPLETED, 0) == result.acknowledged and len(counts) == 1,
    )
    return report


def _p(samples: list[float], fraction: float) -> float:
    return Throughput(len(samples), 1, samples).p(fraction)


if __name__ == "__main__":
    run_cli(run, parse_args)
