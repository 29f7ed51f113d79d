"""GET /metrics: every process's samples merged, plus system-wide values read at scrape time.

Only loopback clients may scrape, unless METRICS_TOKEN is set: then any client presenting it
as a bearer token may, and no one else."""

from __future__ import annotations

import hmac
import ipaddress
import logging

import redis
from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from adapters.metrics import (
    TASK_FIELD_SEPARATOR,
    TASKS_HELP,
    TASKS_METRIC,
    shared_redis,
    task_counts_key,
)
from domain.clock import utcnow
from domain.db import Database
from domain.services.health import fleet_scores
from domain.services.overview import count_active_transactions, count_connected_chargers
from domain.settings import Settings
from web.extensions import database, settings

log = logging.getLogger(__name__)
blueprint = Blueprint("metrics", __name__)


class _SystemGauges:
    """Connected chargers and active sessions as recorded, true whichever node is asked."""

    def __init__(self, db: Database):
        self._db = db

    def collect(self):
        with self._db.unit_of_work() as session:
            connected = count_connected_chargers(session)
            active = count_active_transactions(session)
        yield GaugeMetricFamily(
            "voltline_connected_chargers", "Chargers recorded as Connected", value=connected
        )
        yield GaugeMetricFamily(
            "voltline_active_transactions", "Charging sessions still Active", value=active
        )


class _HealthScores:
    """Each charger's health score over the last 24 h, from the daily rollups."""

    def __init__(self, db: Database):
        self._db = db

    def collect(self):
        with self._db.unit_of_work() as session:
            entries = fleet_scores(session, hours=24, now=utcnow())
        family = GaugeMetricFamily(
            "voltline_charger_health_score",
            "Charger health score (0-100) over the last 24 h, as of the latest rollup",
            labels=["charger"],
        )
        for entry in entries:
            family.add_metric([entry.charger], entry.score)
        yield family


class _SharedTaskCounts:
    """The task counts every Celery worker adds to in Redis."""

    def __init__(self, config: Settings):
        self._config = config

    def collect(self):
        try:
            counts = shared_redis(self._config.redis_url).hgetall(task_counts_key(self._config))
        except redis.RedisError as error:
            log.warning("task counts not read", extra={"error": str(error)})
            return
        family = CounterMetricFamily(TASKS_METRIC, TASKS_HELP, labels=["task", "state"])
        for field, value in sorted(counts.items()):
            name, _, state = field.decode().rpartition(TASK_FIELD_SEPARATOR)
            family.add_metric([name, state], float(value))
        yield family


def _refusal() -> Response | None:
    token = settings().metrics_token
    if token is not None:
        supplied = request.headers.get("Authorization", "")
        if hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return None
        response = _error(401, "a valid 'Authorization: Bearer <METRICS_TOKEN>' is required")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if _is_loopback(request.remote_addr):
        return None
    return _error(403, "only loopback clients may scrape while METRICS_TOKEN is unset")


def _error(status: int, message: str) -> Response:
    name = "Unauthorized" if status == 401 else "Forbidden"
    response = jsonify({"code": status, "status": name, "message": message})
    response.status_code = status
    return response


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


@blueprint.get("/metrics")
def metrics():
    refusal = _refusal()
    if refusal is not None:
        return refusal
    config = settings()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(config.metrics_directory))
    registry.register(_SystemGauges(database()))
    registry.register(_HealthScores(database()))
    if config.redis_url is not None:
        registry.register(_SharedTaskCounts(config))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
