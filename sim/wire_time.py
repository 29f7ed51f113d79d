"""Time as a charger puts it on the wire (the simulator is a client: it shares no code with
the server)."""

from __future__ import annotations

from datetime import UTC, datetime


def wire_now() -> str:
    """Now as ISO-8601 UTC with milliseconds and a `Z`, as OCPP 1.6 chargers send it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
