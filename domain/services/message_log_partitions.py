"""The message log by day on PostgreSQL: one range partition per UTC day, created ahead, and
retention that drops whole partitions instead of deleting rows.

Migration 0007 makes `ocpp_messages` a table partitioned by `created_at`: the rows it held
become one partition (everything before the day after the migration), a DEFAULT partition
catches any row no day partition covers, and day partitions are created DAYS_AHEAD days
ahead by `ensure_message_log_partitions` (the retention job, every web worker at start-up).
A day whose rows already landed in the DEFAULT partition gets no partition of its own (those
rows stay there and are pruned in batches). SQLite has no partitions: every function here
does nothing there, and retention deletes in batches as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

TABLE = "ocpp_messages"
DEFAULT_PARTITION = f"{TABLE}_default"
DAYS_AHEAD = 7
# A DROP waits at most this long for the parent's lock (never blocks inserts for longer).
DROP_LOCK_TIMEOUT = "5s"
_UPPER_BOUND = re.compile(r"TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    upper_bound: datetime | None  # None: the DEFAULT partition


def message_log_is_partitioned(session: Session) -> bool:
    """True on PostgreSQL once migration 0007 partitioned the message log."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), {"table": TABLE}
    ).scalar()
    return kind == "p"


def message_log_partitions(session: Session) -> list[Partition]:
    """The partitions of the message log, oldest upper bound first (DEFAULT last)."""
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": TABLE},
    ).all()
    partitions = [Partition(name, _upper_bound(bound)) for name, bound in rows]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(partitions, key=lambda p: p.upper_bound or far)


def ensure_message_log_partitions(
    session: Session, today: date, days_ahead: int = DAYS_AHEAD
) -> list[str]:
    """Create the day partitions from `today` to `today + days_ahead` that are missing;
    returns their names (executed, not committed). Does nothing unless partitioned."""
    if not message_log_is_partitioned(session):
        return []
    partitions = message_log_partitions(session)
    covered_until = max((p.upper_bound for p in partitions if p.upper_bound), default=None)
    existing = {p.name for p in partitions}
    created = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        name = f"{TABLE}_p{day:%Y%m%d}"
        if name in existing or (covered_until is not None and start < covered_until):
            continue
        if _default_holds_rows(session, start, start + timedelta(days=1)):
            continue
        end = start + timedelta(days=1)
        session.execute(
            text(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF {TABLE} '
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )
        created.append(name)
    return created


def drop_message_log_partitions(session: Session, older_than: datetime) -> tuple[int, int]:
    """Drop every day partition whose rows are all older than `older_than`; returns (how many
    partitions, how many rows they held). Executed, not committed; (0, 0) unless
    partitioned. The rest (DEFAULT, a partly expired partition) is for batched deletes."""
    if not message_log_is_partitioned(session):
        return 0, 0
    dropped = rows = 0
    for partition in message_log_partitions(session):
        if partition.upper_bound is None or partition.upper_bound > older_than:
            continue
        session.execute(text(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
        rows += session.execute(text(f'SELECT count(*) FROM "{partition.name}"')).scalar_one()
        session.execute(text(f'DROP TABLE "{partition.name}"'))
        dropped += 1
    return dropped, rows


def _default_holds_rows(session: Session, start: datetime, end: datetime) -> bool:
    return bool(
        session.execute(
            text(
                f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "
                "WHERE created_at >= :start AND created_at < :end)"
            ),
            {"start": start, "end": end},
        ).scalar()
    )


def _upper_bound(bound: str) -> datetime | None:
    found = _UPPER_BOUND.search(bound)
    if found is None:
        return None
    return datetime.fromisoformat(found.group(1)).astimezone(UTC)
