"""Celery configuration: broker, result backend, delivery guarantees and the beat schedule.

`celery_options(settings)` builds the whole configuration from `Settings`; tasks/__init__.py
applies it lazily to the worker/beat app (`celery -A tasks worker|beat`), and the web process
builds a producer from the same options (tasks/dispatch.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.settings import Settings

# The only non-JSON value that ever crosses the broker is none: tasks take ids and plain values.
SERIALIZER = "json"
# A publish or broker connect never waits longer than this (the socket handler calls dispatch).
BROKER_CONNECT_TIMEOUT_SECONDS = 2.0
# Chargers whose certificate ends within 30 days are looked for hourly (asked once a day).
CERTIFICATE_RENEWAL_CHECK_SECONDS = 3600


def celery_options(settings: Settings) -> dict[str, Any]:
    """Every Celery setting for this deployment; embedded (no REDIS_URL) runs tasks eagerly."""
    transport_options = {
        # An unacknowledged message is redelivered after this long: it must outlive every task.
        "visibility_timeout": settings.task_visibility_timeout,
        "global_keyprefix": settings.celery_key_prefix,
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_CONNECT_TIMEOUT_SECONDS * 5,
        # Abandoned messages (worker killed as a whole) are looked for every few seconds.
        "unacked_restore_interval": max(1, min(10, settings.task_visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
    }
    options: dict[str, Any] = {
        "broker_url": settings.redis_url or "memory://",
        "result_backend": settings.redis_url,
        "broker_transport_options": transport_options,
        "result_backend_transport_options": {"global_keyprefix": settings.celery_key_prefix},
        "broker_connection_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
        "broker_connection_retry_on_startup": True,
        "redis_socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
        "redis_socket_timeout": BROKER_CONNECT_TIMEOUT_SECONDS * 5,
        "task_serializer": SERIALIZER,
        "result_serializer": SERIALIZER,
        "accept_content": [SERIALIZER],
        "result_accept_content": [SERIALIZER],
        "result_expires": timedelta(hours=1),
        # Acknowledge after the task ran, and give the message back if its process died:
        # every task is safe to run twice, so redelivery never doubles an effect.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": max(1, settings.task_time_limit - 10),
        "task_always_eager": settings.embedded,
        "task_eager_propagates": True,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
    }
    return options


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The periodic jobs, by Celery task name; the same table drives the embedded scheduler."""
    return {
        name: {"task": name, "schedule": timedelta(seconds=seconds)}
        for name, seconds in periodic_intervals(settings).items()
    }


def periodic_intervals(settings: Settings) -> dict[str, float]:
    """Seconds between runs of each periodic task."""
    return {
        "dispatch_outbox": settings.outbox_dispatch_seconds,
        "sweep_heartbeats": settings.heartbeat_sweep_seconds,
        "reconcile_transactions": settings.reconcile_interval_seconds,
        "expire_reservations": settings.reconcile_interval_seconds,
        "prune_status_logs": settings.prune_interval_hours * 3600,
        "prune_message_log": settings.prune_interval_hours * 3600,
        "request_certificate_renewals": CERTIFICATE_RENEWAL_CHECK_SECONDS,
        "roll_up_health": settings.health_rollup_seconds,
    }
