"""Scenario 5, reconnect storm: `python -m bench.reconnect`.

N chargers are connected, booted and each in a transaction; then every connection drops at
once (sockets aborted, no close handshake, as in a network outage) and all N reconnect,
boot until Accepted (waiting out any Pending interval the server asks for) and send the
StopTransaction they kept while offline. Prints the time until all are Accepted and until
every stop is acknowledged, checks in PostgreSQL that no transaction was lost, and runs the
same storm against a bare `websockets` server (the ceiling).
Target (issue 13): 10,000 chargers Accepted in <= 15 s on one 2-core node.

Boot-storm control (BOOT_RATE_PER_SECOND) deliberately answers Pending above its rate;
`--boot-rate` sets it for the run (default: high enough to measure the server, not the
policy).
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import nullcontext
from dataclasses import dataclass, field

from bench.cli import run_cli, scenario_parser
from bench.database import COMPLETED, transaction_counts
from bench.load import BOOT, close_fleet, open_fleet
from bench.processes import CpuMeter, Target, baseline_server, tree_pids
from bench.profile import profiled
from bench.report import Report, progress
from bench.transactions import id_tag_of
from bench.voltline import raise_open_files_limit, run_tag, voltline_server, voltline_target
from bench.wire import WireCharger
from domain.clock import to_wire, utcnow
from sim.stats import percentile


@dataclass
class Storm:
    chargers: int
    accepted_after: list[float] = field(default_factory=list)
    stopped_after: list[float] = field(default_factory=list)
    pending_answers: int = 0
    server_cpu_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def all_accepted_s(self) -> float:
        return max(self.accepted_after, default=0.0)

    @property
    def all_stopped_s(self) -> float:
        return max(self.stopped_after, default=0.0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser(
        "bench.reconnect", __doc__, timed=False, profile=True, log_level="WARNING"
    )
    parser.add_argument("--chargers", type=int, default=1000, help="chargers in the storm")
    parser.add_argument(
        "--boot-rate",
        type=float,
        default=100000.0,
        help="BOOT_RATE_PER_SECOND for the server (production default: a 1000/s ceiling)",
    )
    parser.add_argument("--parallel", type=int, default=1000, help="handshakes at a time")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--timeout", type=float, default=120.0, help="bound on the storm")
    return parser.parse_args(argv)


async def storm(target: Target, ids: list[str], args: argparse.Namespace, profile=None) -> Storm:
    loop = asyncio.get_running_loop()
    chargers = await open_fleet(target.base_url, ids, parallel=args.parallel)
    open_transactions = {}
    for charger in chargers:
        started, _ = await charger.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": id_tag_of(charger.charger_id),
                "meterStart": 0,
                "timestamp": to_wire(utcnow()),
            },
        )
        open_transactions[charger.charger_id] = started["transactionId"]
    for charger in chargers:
        charger.connection.transport.abort()
    result = Storm(len(ids))
    gate = asyncio.Semaphore(args.parallel)
    began = loop.time()
    deadline = began + args.timeout

    async def come_back(charger_id: str) -> WireCharger:
        async with gate:
            charger = await WireCharger.open(target.base_url, charger_id, timeout=args.timeout)
        try:
            while True:
                conf, _ = await charger.call("BootNotification", BOOT, timeout=args.timeout)
                if conf["status"] == "Accepted":
                    break
                result.pending_answers += 1
                await asyncio.sleep(min(max(1, conf["interval"]), deadline - loop.time()))
            result.accepted_after.append(loop.time() - began)
            await charger.call(
                "StopTransaction",
                {
                    "transactionId": open_transactions[charger_id],
                    "meterStop": 5000,
                    "timestamp": to_wire(utcnow()),
                    "reason": "PowerLoss",
                    "idTag": id_tag_of(charger_id),
                },
                timeout=args.timeout,
            )
            result.stopped_after.append(loop.time() - began)
        except BaseException:
            await charger.close()
            raise
        return charger

    async def bounded(charger_id: str) -> WireCharger:
        return await asyncio.wait_for(come_back(charger_id), max(0.1, deadline - loop.time()))

    with profile or nullcontext(), CpuMeter(target.pid) as cpu:
        outcomes = await asyncio.gather(*(bounded(i) for i in ids), return_exceptions=True)
    result.server_cpu_seconds = cpu.seconds
    back = [outcome for outcome in outcomes if isinstance(outcome, WireCharger)]
    result.failures = [repr(outcome) for outcome in outcomes if outcome not in back]
    await close_fleet(back)
    return result


def run(args: argparse.Namespace) -> Report:
    raise_open_files_limit()
    tag = run_tag()
    ids = [f"rs-{tag}-{index}" for index in range(args.chargers)]
    report = Report(
        f"reconnect storm, {args.chargers} chargers, boot rate {args.boot_rate:g}/s, "
        f"{args.workers} gunicorn worker(s)"
    )
    env = {"BOOT_RATE_PER_SECOND": str(args.boot_rate)}
    progress(f"voltline: {args.chargers} chargers connect, start, drop and come back")
    tags = [id_tag_of(charger_id) for charger_id in ids]
    with voltline_server(ids, tags, env=env, log_level=args.log_level, workers=args.workers) as (
        server,
        url,
    ):
        target = voltline_target(server)
        report.started(tree_pids(target.pid))
        profile = profiled(target.pid, args.profile, "reconnect", args.timeout)
        voltline = asyncio.run(storm(target, ids, args, profile))
        counts = transaction_counts(url)
    progress("bare baseline: the same storm")
    with baseline_server("bare", args.log_level) as target:
        report.started(tree_pids(target.pid))
        bare = asyncio.run(storm(target, ids, args))
    for name, result in (("voltline", voltline), ("bare", bare)):
        report.figure(f"{name} all Accepted after", result.all_accepted_s, "s")
        report.figure(f"{name} half Accepted after", percentile(result.accepted_after, 0.5), "s")
        report.figure(f"{name} all stops acknowledged after", result.all_stopped_s, "s")
        report.figure(f"{name} Pending answers", result.pending_answers, "")
        report.figure(
            f"{name} server CPU per charger back",
            1000 * result.server_cpu_seconds / max(1, len(result.stopped_after)),
            "ms",
        )
        report.figure(f"{name} chargers not back in time", len(result.failures), "")
    report.figure("Completed transactions in PostgreSQL", counts.get(COMPLETED, 0), "")
    report.figure("transactions left open", sum(counts.values()) - counts.get(COMPLETED, 0), "")
    report.ratio(
        "voltline / bare time to all Accepted", voltline.all_accepted_s, bare.all_accepted_s
    )
    everyone = not voltline.failures
    report.target(
        "10,000 Accepted in <= 15 s (issue 13)",
        everyone and args.chargers >= 10000 and voltline.all_accepted_s <= 15,
    )
    report.target(
        "nothing lost (every transaction stopped exactly once)",
        everyone and counts.get(COMPLETED, 0) == args.chargers and len(counts) == 1,
    )
    for failure in voltline.failures[:3]:
        report.note(f"voltline: {failure}")
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
