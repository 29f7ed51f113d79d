"""The relay's transport: envelopes to the node holding a charger's socket, outcomes back to
the waiting request, events to the dashboards. Redis across nodes, or the in-process twin on
the embedded default. Used by the web nodes and by jobs that offer commands (renewals)."""

from __future__ import annotations

from adapters.relay.local_transport import InProcessTransport, LocalReplies
from adapters.relay.redis_transport import RedisTransport
from adapters.relay.transport import Envelope, RelayTransport
from domain.settings import Settings

__all__ = ["Envelope", "LocalReplies", "RelayTransport", "build_transport"]


def build_transport(settings: Settings) -> RelayTransport:
    """Redis when REDIS_URL is set, else the in-process twin."""
    if settings.redis_url is None:
        return InProcessTransport()
    return RedisTransport(settings.redis_url)
