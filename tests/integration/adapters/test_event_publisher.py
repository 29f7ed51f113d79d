"""Dashboard events over a real Redis: published in batches, in order, none lost."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis

from adapters.relay.event_publisher import BatchedPublisher
from adapters.relay.redis_transport import RedisTransport

pytestmark = pytest.mark.redis


class CountingRedis(redis.Redis):
    """A client that counts its round trips (single commands and pipelines)."""

    round_trips = 0

    def execute_command(self, *args, **options):
        CountingRedis.round_trips += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        CountingRedis.round_trips += 1
        return super().pipeline(transaction, shard_hint)


def test_a_burst_of_events_reaches_a_subscriber_in_order_in_few_round_trips(redis_url):
    client = CountingRedis.from_url(redis_url)
    channel = f"voltline:test-events:{id(client)}"
    subscriber = client.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(channel)
    CountingRedis.round_trips = 0
    publisher = BatchedPublisher(client, channel)
    for number in range(1000):
        publisher.publish(json.dumps({"number": number}))
    received = []
    deadline = time.monotonic() + 10
    while len(received) < 1000 and time.monotonic() < deadline:
        # None also for the (ignored) subscription confirmation: poll until the deadline.
        message = subscriber.get_message(timeout=1)
        if message is not None:
            received.append(json.loads(message["data"])["number"])
    assert received == list(range(1000))
    assert CountingRedis.round_trips < 100  # one PUBLISH each would be 1000
    subscriber.close()


def test_closing_the_transport_publishes_what_is_still_queued(redis_url):
    transport = RedisTransport(redis_url)
    subscription = transport.subscribe_events()
    run = uuid.uuid4().hex  # the channel is shared with whatever else uses this Redis
    for number in range(50):
        transport.publish_event({"type": "charger", "run": run, "number": number})
    transport.close()
    received = []
    deadline = time.monotonic() + 10
    while len(received) < 50 and time.monotonic() < deadline:
        event = subscription.get(timeout=1)
        if event is not None and event.get("run") == run:
            received.append(event["number"])
    assert received == list(range(50))
    subscription.close()
