"""The command line every scenario shares: common options, run, print the report."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bench.report import Report


def scenario_parser(
    module: str, description: str, *, timed: bool, profile: bool, log_level: str = "INFO"
) -> argparse.ArgumentParser:
    """A parser with the options all scenarios share; the scenario adds its own."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if timed:
        parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds")
        parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--log-level", default=log_level, help="server log level")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    if profile:
        parser.add_argument("--profile", type=Path, help="py-spy the Voltline worker into DIR")
    return parser


def run_cli(
    run: Callable[[argparse.Namespace], Report],
    parse_args: Callable[[list[str] | None], argparse.Namespace],
    argv: list[str] | None = None,
) -> None:
    args = parse_args(argv)
    run(args).print(as_json=args.json)
