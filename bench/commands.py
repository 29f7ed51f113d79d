"""Scenario 4, command round trip: `python -m bench.commands`.

Operators' commands over REST against Voltline (gunicorn + gevent, PostgreSQL + Redis):
`POST /api/chargers/{id}/commands/ClearCache` -> a Command row -> the relay (Redis) -> the
node holding the socket -> CALL to the charger -> its answer -> the outcome written -> the
REST answer. C clients send commands back to back over keep-alive HTTP for a fixed time to
K connected chargers that answer at once. Prints commands/s and p50/p99 of the REST round
trip, checks that every command ended in exactly one recorded outcome, and compares with a
baseline measured on the same server in the same run: an authenticated REST read of one
command (`GET /api/commands/{id}`), i.e. the API stack without the relay and the charger.
Targets (issue 13): p50 < 5 ms unloaded, >= 500 commands/s per 2-core node with p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from collections import Counter

from sqlalchemy import func, select

from bench.cli import run_cli, scenario_parser
from bench.http import HttpConnection
from bench.load import Throughput, close_fleet, open_fleet
from bench.processes import CpuMeter, tree_pids
from bench.profile import profiled
from bench.report import Report, progress
from bench.voltline import run_tag, voltline_server, voltline_target
from bench.wire import answer_calls
from domain.db import Database
from domain.models import Command

ACTION = "ClearCache"
ANSWERS = {ACTION: {"status": "Accepted"}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = scenario_parser("bench.commands", __doc__, timed=True, profile=True)
    parser.add_argument("--chargers", type=int, default=20, help="connected chargers")
    parser.add_argument("--clients", type=int, default=20, help="concurrent REST clients")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn workers (with more than one, a command whose charger is on another "
        "worker goes through Redis; on the same one it takes the in-process shortcut)",
    )
    return parser.parse_args(argv)


def operator_token(server) -> str:
    password = secrets.token_urlsafe(16)
    output = server.flask(
        "create-user", "--username", "bench", "--password", password, "--role", "operator"
    )
    return output.split("JWT Access Token >>>>", 1)[1].split()[0]


async def closed_loop(
    port: int, token: str, clients: int, seconds: float, warmup: float, request
) -> tuple[Throughput, Counter]:
    """`clients` connections each sending `request(index)` -> (method, path, body) back to
    back; returns the measured window and a count of (status code, outcome) answers."""
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    window_end = window_start + seconds
    measured = Throughput(0, seconds)
    answers: Counter = Counter()

    async def client(index: int) -> None:
        connection = HttpConnection(port, {"Authorization": f"Bearer {token}"})
        sent = 0
        try:
            while loop.time() < window_end:
                method, path, body = request(index, sent)
                status, data, elapsed = await connection.request(method, path, body)
                sent += 1
                answers[(status, (data or {}).get("status"))] += 1
                if window_start <= loop.time() <= window_end:
                    measured.latencies.append(elapsed)
        finally:
            await connection.close()

    await asyncio.gather(*(client(index) for index in range(clients)))
    measured.completed = len(measured.latencies)
    return measured, answers


async def drive(server, ids: list[str], token: str, args: argparse.Namespace):
    chargers = await open_fleet(voltline_target(server).base_url, ids)
    responders = [asyncio.create_task(answer_calls(charger, ANSWERS)) for charger in chargers]

    def command(index: int, sent: int):
        charger = ids[(index + sent * args.clients) % len(ids)]
        return "POST", f"/api/chargers/{charger}/commands/{ACTION}", {}

    try:
        progress(f"voltline: {args.clients} REST clients, {ACTION} to {len(ids)} chargers")
        window = args.seconds + args.warmup
        profile = profiled(server.process.pid, args.profile, "commands", window)
        with profile, CpuMeter(server.process.pid) as cpu:
            commands, answers = await closed_loop(
                server.port, token, args.clients, args.seconds, args.warmup, command
            )
        commands.total, commands.server_cpu_seconds = sum(answers.values()), cpu.seconds
        _, sample, _ = await HttpConnection(
            server.port, {"Authorization": f"Bearer {token}"}
        ).request("GET", "/api/commands/?page_size=1")
        command_id = sample[0]["id"]
        progress(f"baseline: {args.clients} REST clients reading one command")
        with CpuMeter(server.process.pid) as cpu:
            reads, read_answers = await closed_loop(
                server.port,
                token,
                args.clients,
                args.seconds,
                args.warmup,
                lambda index, sent: ("GET", f"/api/commands/{command_id}", None),
            )
        reads.total, reads.server_cpu_seconds = sum(read_answers.values()), cpu.seconds
        return commands, answers, reads
    finally:
        for responder in responders:
            responder.cancel()
        await asyncio.gather(*responders, return_exceptions=True)
        await close_fleet(chargers)


def outcomes(database_url: str) -> Counter:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            rows = session.execute(select(Command.status, func.count()).group_by(Command.status))
            return Counter(dict(rows.all()))
    finally:
        database.dispose()


def run(args: argparse.Namespace) -> Report:
    tag = run_tag()
    ids = [f"cmd-{tag}-{index}" for index in range(args.chargers)]
    report = Report(
        f"command round trip, {args.clients} REST clients, {args.chargers} chargers, "
        f"{args.workers} gunicorn worker(s)"
    )
    with voltline_server(ids, log_level=args.log_level, workers=args.workers) as (server, url):
        report.started(tree_pids(server.process.pid))
        token = operator_token(server)
        commands, answers, reads = asyncio.run(drive(server, ids, token, args))
        recorded = outcomes(url)
    accepted_answers = answers[(200, "Accepted")]
    rate = report.figure("voltline commands/s", commands.per_second, "/s")
    p50 = report.figure("voltline command p50", commands.p(0.50), "ms")
    p99 = report.figure("voltline command p99", commands.p(0.99), "ms")
    report.figure("voltline server CPU per command", commands.cpu_ms_per_operation, "ms")
    report.figure("REST answers 200 Accepted", accepted_answers, "")
    report.figure("other REST answers", sum(answers.values()) - accepted_answers, "")
    report.figure("Accepted outcomes recorded", recorded.get("Accepted", 0), "")
    report.figure(
        "other outcomes recorded", sum(recorded.values()) - recorded.get("Accepted", 0), ""
    )
    report.figure("REST reads/s (baseline)", reads.per_second, "/s")
    report.figure("REST read p50", reads.p(0.50), "ms")
    report.figure("REST read p99", reads.p(0.99), "ms")
    report.figure("server CPU per REST read", reads.cpu_ms_per_operation, "ms")
    report.ratio("voltline commands / REST reads", rate, reads.per_second)
    report.target("p50 < 5 ms (issue 13)", p50 < 5)
    report.target("p99 < 50 ms (issue 13)", p99 < 50)
    report.target(">= 500 commands/s (issue 13)", rate >= 500)
    report.target(
        "every command ended in exactly one recorded outcome",
        recorded.get("Accepted", 0) == accepted_answers == sum(recorded.values()),
    )
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
