"""`python -m sim`: run a fleet of simulated chargers against a central system."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from sim.fleet import Fleet, FleetOptions, fleet_ids
from sim.hints import missing_setup
from sim.options import ChargerOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="Simulate OCPP 1.6J chargers: boot, status, heartbeats, sessions, commands.",
    )
    _fleet_arguments(parser)
    _session_arguments(parser)
    _run_arguments(parser)
    return parser.parse_args(argv)


def _fleet_arguments(parser: argparse.ArgumentParser) -> None:
    """Which chargers, where, and how they authenticate."""
    parser.add_argument(
        "--url",
        default="ws://127.0.0.1:8000/ocpp/",
        help="central system URL; the charger id is appended",
    )
    parser.add_argument("-n", "--count", type=int, default=1, help="number of chargers")
    parser.add_argument(
        "--id-prefix",
        default="charger_",
        help="charger ids are <prefix><index> (default: the seed chargers charger_1..3)",
    )
    parser.add_argument("--first-index", type=int, default=1, help="index of the first charger")
    parser.add_argument(
        "--id",
        dest="ids",
        action="append",
        default=[],
        help="explicit charger id (repeatable; replaces --count/--id-prefix)",
    )
    parser.add_argument("--auth-key", help="AuthorizationKey for HTTP Basic auth (user = id)")
    parser.add_argument("--connectors", type=int, default=2, help="connectors per charger")


def _session_arguments(parser: argparse.ArgumentParser) -> None:
    """How the chargers charge."""
    parser.add_argument(
        "--id-tag",
        dest="id_tags",
        action="append",
        default=[],
        help="idTag presented for local sessions (repeatable; default SIMTAG01)",
    )
    parser.add_argument(
        "--session-rate",
        type=float,
        default=0.2,
        help="new local sessions per second across the fleet (0 = none)",
    )
    parser.add_argument(
        "--session-duration",
        type=float,
        default=20.0,
        help="seconds a session charges before the driver stops it",
    )
    parser.add_argument(
        "--meter-interval", type=int, default=60, help="MeterValueSampleInterval in seconds"
    )
    parser.add_argument(
        "--heartbeat-interval", type=int, help="override the interval from BootNotification.conf"
    )


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    """How long the run lasts and what it prints."""
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds to run (0 = until Ctrl-C)"
    )
    parser.add_argument(
        "--connect-rate",
        type=float,
        default=50.0,
        help="new connections per second while ramping up",
    )
    parser.add_argument(
        "--response-timeout", type=float, default=30.0, help="seconds to wait for a CALLRESULT"
    )
    parser.add_argument(
        "--progress-interval",
        type=float,
        default=5.0,
        help="seconds between progress lines (0 = none)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every OCPP frame")


def fleet_options(args: argparse.Namespace) -> FleetOptions:
    charger = ChargerOptions(
        url=args.url,
        auth_key=args.auth_key,
        connectors=args.connectors,
        heartbeat_interval=args.heartbeat_interval,
        meter_interval=args.meter_interval,
        session_duration=args.session_duration,
        response_timeout=args.response_timeout,
    )
    ids = tuple(args.ids) or fleet_ids(args.id_prefix, args.count, args.first_index)
    return FleetOptions(
        charger=charger,
        ids=ids,
        id_tags=tuple(args.id_tags) or ("SIMTAG01",),
        session_rate=args.session_rate,
        duration=args.duration,
        connect_rate=args.connect_rate,
        progress_interval=args.progress_interval,
    )


async def _run(fleet: Fleet) -> float:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await fleet.run(stop)


def main(argv: list[str] | None = None) -> int:
    """Run the fleet; exit status 1 if no charger was Accepted or a call failed."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    fleet = Fleet(fleet_options(args))
    elapsed = asyncio.run(_run(fleet))
    stats = fleet.stats
    if args.json:
        print(json.dumps({"elapsed_s": round(elapsed, 2), **stats.as_dict()}, indent=2))
    else:
        print("\n".join(stats.summary_lines(elapsed)))
    for hint in missing_setup(stats, fleet.options.id_tags):
        print(f"missing: {hint}", file=sys.stderr)
    failed = sum(stats.call_errors.values()) + sum(stats.timeouts.values())
    return 1 if failed or not stats.registrations.get("Accepted") else 0
