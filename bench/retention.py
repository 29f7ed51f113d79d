"""What one day of message-log retention costs: `python -m bench.retention [--rows N]`.

Fills one expired day of the message log with N rows on a fresh PostgreSQL database twice:
(1) the table as before migration 0007, pruned the old way (batched DELETEs of
PRUNE_BATCH_SIZE rows, one commit each), (2) the table partitioned by day, where retention
drops the day's partition. Prints the wall time of each and their ratio.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.cli import run_cli
from bench.report import Report, progress
from domain import schema
from domain.clock import utcnow
from domain.db import Database
from domain.services.message_log_partitions import (
    drop_message_log_partitions,
    ensure_message_log_partitions,
)
from domain.services.retention import prune_message_log
from tests.services import create_postgres_database, drop_postgres_database

BEFORE_PARTITIONING = "0003"
BATCH = 1000  # PRUNE_BATCH_SIZE's default
FILL = """
INSERT INTO ocpp_messages (charger_name, direction, message_type, unique_id, action,
                           payload, source, created_at)
SELECT 'cp-' || (n % 1000), CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END, 2 + n % 2,
       md5(n::text), 'Heartbeat', '{"currentTime": "2026-10-30T12:00:00Z"}', 'charger',
       :day + (n % 86400) * interval '1 second'
FROM generate_series(1, :rows) AS n
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.retention", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the expired day")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def expired_day() -> datetime:
    old = (utcnow() - timedelta(days=40)).date()
    return datetime(old.year, old.month, old.day, tzinfo=UTC)


def measure(revision: str, rows: int) -> float:
    url = create_postgres_database()
    database = Database(url)
    try:
        schema.upgrade(url, revision)
        day = expired_day()
        with database.unit_of_work() as session:
            if revision != BEFORE_PARTITIONING:
                session.execute(text("DROP TABLE ocpp_messages_before"))  # empty here
                ensure_message_log_partitions(session, day.date(), days_ahead=0)
            session.execute(text(FILL), {"day": day, "rows": rows})
        autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as connection:
            connection.execute(text("VACUUM ANALYZE ocpp_messages"))
        progress(f"{revision}: {rows:,} rows of {day:%Y-%m-%d} written; pruning")
        cutoff = day + timedelta(days=1)
        started = time.perf_counter()
        if revision == BEFORE_PARTITIONING:
            while True:
                with database.unit_of_work() as session:
                    deleted = prune_message_log(session, cutoff, BATCH)
                if deleted < BATCH:
                    break
        else:
            with database.unit_of_work() as session:
                dropped, dropped_rows = drop_message_log_partitions(session, cutoff)
            assert (dropped, dropped_rows) == (1, rows)
        return time.perf_counter() - started
    finally:
        database.dispose()
        drop_postgres_database(url)


def run(args: argparse.Namespace) -> Report:
    report = Report(f"one day of message-log retention, {args.rows:,} rows")
    batched = report.figure(
        "batched DELETEs (before partitioning)", measure("0003", args.rows), "s"
    )
    dropped = report.figure("DROP of the day's partition", measure("head", args.rows), "s")
    report.ratio("batched DELETEs / partition DROP", batched, dropped)
    report.note(f"batches of {BATCH} rows, one commit each; the DROP counts the rows first")
    return report


if __name__ == "__main__":
    run_cli(run, parse_args)
