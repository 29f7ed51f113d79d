"""Dashboard events published to Redis in batches: many PUBLISHes per round trip.

Every transaction, connector status and boot is an event on the dashboards' channel; one
PUBLISH round trip each cost a charger message a tenth of a millisecond of CPU. Events wait
in memory for the next pass of a background thread (a greenlet under gevent), which sends
whatever has gathered as one pipeline, in order. An event is published a moment later than
its commit, never before it; one that Redis refuses is logged and dropped, as before (the
stream is live only: the REST resources hold the durable state).
"""

from __future__ import annotations

import logging
from functools import partial

import redis

from adapters.background_pass import BackgroundBatches

log = logging.getLogger(__name__)

MAX_BATCH = 500  # PUBLISHes per pipeline


class BatchedPublisher:
    """PUBLISHes messages to one channel from a background pass, batched and in order."""

    def __init__(self, client: redis.Redis, channel: str):
        self._batches: BackgroundBatches[str] = BackgroundBatches(
            partial(_publish_batch, client, channel), MAX_BATCH, "event-publish"
        )

    def publish(self, message: str) -> None:
        """Queue `message`; the caller goes on at once."""
        self._batches.add(message)

    def flush(self) -> None:
        """Publish what is queued now, in the caller's thread (after any pass sending)."""
        self._batches.flush()


def _publish_batch(client: redis.Redis, channel: str, batch: list[str]) -> None:
    pipeline = client.pipeline(transaction=False)
    for message in batch:
        pipeline.publish(channel, message)
    try:
        pipeline.execute()
    except redis.RedisError as error:
        log.warning("events not published", extra={"events": len(batch), "error": error})
