"""Timezone-aware UTC time, one way in and out of the system."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive value is taken as UTC.

    Raises ValueError for text that is not a timestamp.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_wire(moment: datetime | None) -> str | None:
    """ISO-8601 with a `Z`, millisecond precision, as OCPP chargers expect."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
