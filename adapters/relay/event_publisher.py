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
import threading
from collections import deque
from functools import partial

import redis

from adapters.background_pass import BackgroundPass

log = logging.getLogger(__name__)

MAX_BATCH = 500  # PUBLISHes per pipeline


class BatchedPublisher:
    """PUBLISHes messages to one channel from a background pass, batched and in order."""

    def __init__(self, client: redis.Redis, channel: str):
        self._pending: deque[str] = deque()
        # One pass at a time, so a flush waits for the events a pass is sending: in order.
        one_at_a_time = threading.Lock()
        self._passes = BackgroundPass(
            partial(_publish_pending, client, channel, self._pending, one_at_a_time),
            "event-publish",
        )

    def publish(self, message: str) -> None:
        """Queue `message`; the caller goes on at once."""
        self._pending.append(message)
        self._passes.request()

    def flush(self) -> None:
        """Publish what is queued now, in the caller's thread."""
        self._passes.run_pass()


def _publish_pending(
    client: redis.Redis, channel: str, pending: deque[str], one_at_a_time: threading.Lock
) -> None:
    with one_at_a_time:
        _publish_batches(client, channel, pending)


def _publish_batches(client: redis.Redis, channel: str, pending: deque[str]) -> None:
    while batch := _take(pending, MAX_BATCH):
        pipeline = client.pipeline(transaction=False)
        for message in batch:
            pipeline.publish(channel, message)
        try:
            pipeline.execute()
        except redis.RedisError as error:
            log.warning("events not published", extra={"events": len(batch), "error": error})


def _take(pending: deque[str], most: int) -> list[str]:
    """Up to `most` messages from the front."""
    return [pending.popleft() for _ in range(min(most, len(pending)))]
