"""Scenario 1, heartbeat throughput: `python -m bench.heartbeat`.

N chargers send Heartbeat after Heartbeat (closed loop) for a fixed time against
(1) Voltline: gunicorn + gevent, PostgreSQL + Redis, full schema validation, the message log
    and structured logging, (2) a bare `websockets` server answering canned frames (the
    ceiling), (3) a server built on the `ocpp` package's ChargePoint (the usual choice) and
    (4) the stack's floor: Flask-Sock on the same gunicorn + gevent answering by hand.
Prints heartbeats/s, p50/p99 and server CPU per heartbeat for each and Voltline's ratios.
Targets (issue 13, at 1,000 chargers): >= 0.50 of the Flask-Sock floor, >= 1.5x the
ChargePoint server.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import nullcontext

from bench.cli import run_cli, scenario_parser
from bench.load import Throughput, close_fleet, heartbeat_throughput, open_fleet
from bench.processes import FLASK_SOCK_FLOOR, CpuMeter, Target, baseline_server, tree_pids
from bench.profile import profiled
from bench.report import Report, progress
from bench.voltline import run_tag, voltline_server, voltline_target

BASELINES = ("bare", "chargepoint", FLASK_SOCK_FLOOR)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser("bench.heartbeat", __doc__, timed=True, profile=True)
    parser.add_argument("--clients", type=int, default=100, help="concurrent chargers")
    return parser.parse_args(argv)


async def drive(
    target: Target, ids: list[str], seconds: float, warmup: float, profile=None
) -> Throughput:
    chargers = await open_fleet(target.base_url, ids)
    try:
        with profile or nullcontext(), CpuMeter(target.pid) as cpu:
            result = await heartbeat_throughput(chargers, seconds, warmup)
        result.server_cpu_seconds = cpu.seconds
        return result
    finally:
        await close_fleet(chargers)


def measure_all(args: argparse.Namespace, report: Report) -> dict[str, Throughput]:
    tag = run_tag()
    ids = [f"hb-{tag}-{index}" for index in range(args.clients)]
    results = {}
    progress(f"voltline: {args.clients} chargers, {args.seconds}s")
    with voltline_server(ids, log_level=args.log_level) as (server, _):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        profile = profiled(target.pid, args.profile, "heartbeat", args.seconds + args.warmup)
        results["voltline"] = asyncio.run(drive(target, ids, args.seconds, args.warmup, profile))
    for kind in BASELINES:
        progress(f"{kind} baseline: {args.clients} chargers, {args.seconds}s")
        with baseline_server(kind, args.log_level) as target:
            report.started(tree_pids(target.pid))
            results[kind] = asyncio.run(drive(target, ids, args.seconds, args.warmup))
    return results


def run(args: argparse.Namespace) -> Report:
    report = Report(f"heartbeat throughput, {args.clients} chargers, closed loop")
    results = measure_all(args, report)
    for name, result in results.items():
        report.figure(f"{name} heartbeats/s", result.per_second, "/s")
        report.figure(f"{name} p50", result.p(0.50), "ms")
        report.figure(f"{name} p99", result.p(0.99), "ms")
        report.figure(f"{name} server CPU per heartbeat", result.cpu_ms_per_operation, "ms")
    voltline = results["voltline"].per_second
    report.ratio("voltline / bare websockets", voltline, results["bare"].per_second)
    usual = report.ratio("voltline / ocpp ChargePoint", voltline, results["chargepoint"].per_second)
    floor = report.ratio(
        "voltline / Flask-Sock hand-reply floor", voltline, results[FLASK_SOCK_FLOOR].per_second
    )
    report.target(">= 0.50 of the Flask-Sock hand-reply floor (issue 13)", floor >= 0.50)
    report.target(">= 1.5x the ocpp ChargePoint server (issue 13)", usual >= 1.5)
    report.note(
        "one gunicorn gevent worker (Voltline, the Flask-Sock floor) vs one asyncio process "
        "each; load generator in this process on the same machine"
    )
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
