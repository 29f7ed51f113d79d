"""The relay over Redis: a pub/sub channel per node, a reply list per waiting request, one
events channel. Every loop reconnects by itself, so a Redis restart costs only the commands
in flight at that moment."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from adapters.redis_pools import POOL_SIZE, waiting_client
from adapters.relay.event_publisher import BatchedPublisher
from adapters.relay.transport import Envelope, EventSubscription, RelayTransport

log = logging.getLogger(__name__)

PREFIX = "voltline:relay"
EVENTS_CHANNEL = "voltline:events"
REPLY_TTL_SECONDS = 300  # an outcome nobody collected is dropped after this
POLL_SECONDS = 1.0  # how often blocking reads wake up (stays below the socket timeout)
MAX_BACKOFF_SECONDS = 1.0


def node_channel(node_id: str) -> str:
    return f"{PREFIX}:node:{node_id}"


class RedisTransport(RelayTransport):
    def __init__(self, url: str):
        # Fail fast and let our own loops retry: the library's default retries for seconds.
        # Reply waits hold a connection for up to POLL_SECONDS: a larger pool than presence.
        self._client = waiting_client(
            url,
            max_connections=2 * POOL_SIZE,
            socket_connect_timeout=2,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        )
        self._closed = threading.Event()
        self._live: dict[str, threading.Event] = {}
        self._events = BatchedPublisher(self._client, EVENTS_CHANNEL)

    def publish(self, node_id: str, envelope: Envelope) -> int:
        return int(self._client.publish(node_channel(node_id), envelope.to_json()))

    def listen(self, node_id: str, deliver: Callable[[Envelope], None]) -> None:
        live = self._live.setdefault(node_id, threading.Event())
        thread = threading.Thread(
            target=self._listen_forever,
            args=(node_channel(node_id), deliver, live),
            name=f"relay-listen-{node_id}",
            daemon=True,
        )
        thread.start()

    def listening(self, node_id: str) -> bool:
        live = self._live.get(node_id)
        return live is not None and live.is_set()

    def _listen_forever(
        self, channel: str, deliver: Callable[[Envelope], None], live: threading.Event
    ) -> None:
        backoff = 0.05
        while not self._closed.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(channel)
                live.set()
                backoff = 0.05
                log.info("relay subscribed", extra={"channel": channel})
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=POLL_SECONDS)
                    if message is not None and message["type"] == "message":
                        self._deliver_one(deliver, message["data"], channel)
            except redis.RedisError as error:
                live.clear()
                log.warning(
                    "relay subscription lost; reconnecting",
                    extra={"channel": channel, "error": str(error)},
                )
                self._closed.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            finally:
                live.clear()
                pubsub.close()

    @staticmethod
    def _deliver_one(deliver: Callable[[Envelope], None], data: bytes, channel: str) -> None:
        try:
            envelope = Envelope.from_json(data)
        except (ValueError, TypeError) as error:
            log.error("relay envelope unreadable", extra={"channel": channel, "error": str(error)})
            return
        deliver(envelope)

    def reply_address(self, command_id: str) -> str:
        return f"{PREFIX}:reply:{command_id}:{uuid.uuid4().hex}"

    def push_outcome(self, reply_to: str, outcome: dict[str, Any]) -> None:
        pipeline = self._client.pipeline()
        pipeline.rpush(reply_to, json.dumps(outcome))
        pipeline.expire(reply_to, REPLY_TTL_SECONDS)
        try:
            pipeline.execute()
        except redis.RedisError as error:
            log.warning("outcome not pushed", extra={"reply_to": reply_to, "error": str(error)})

    def wait_outcome(self, reply_to: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                popped = self._client.blpop([reply_to], timeout=min(remaining, POLL_SECONDS))
            except redis.RedisError as error:
                log.warning("relay reply wait interrupted", extra={"error": str(error)})
                self._closed.wait(min(remaining, MAX_BACKOFF_SECONDS))
                continue
            if popped is not None:
                return json.loads(popped[1])
        return None

    def publish_event(self, event: dict[str, Any]) -> None:
        self._events.publish(json.dumps(event, default=str))

    def subscribe_events(self) -> EventSubscription:
        return _RedisSubscription(self._client)

    def close(self) -> None:
        self._closed.set()
        self._events.flush()
        self._client.close()


class _RedisSubscription(EventSubscription):
    def __init__(self, client: redis.Redis):
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(EVENTS_CHANNEL)

    def get(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self._pubsub.get_message(timeout=min(remaining, POLL_SECONDS))
            except redis.RedisError as error:
                log.warning("event stream interrupted", extra={"error": str(error)})
                time.sleep(min(remaining, MAX_BACKOFF_SECONDS))
                return None
            if message is not None and message["type"] == "message":
                return json.loads(message["data"])
        return None

    def close(self) -> None:
        self._pubsub.close()
