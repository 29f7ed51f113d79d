"""Prometheus metrics: the one place that defines them, records them and serves GET /metrics.

gunicorn runs several worker processes and a scrape reaches only one of them, so every metric
lives in prometheus-client's multiprocess mode: each process writes its samples to files in
`Settings.metrics_directory` and a scrape merges the files of all of them. gunicorn.conf.py
empties that folder when the server starts and drops a dead worker's live gauges.

Gauges that describe the whole system (connected chargers, active transactions) are read from
the database at scrape time, so they are right whichever node or worker is asked.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, jsonify, request
from ocpp.v16.enums import Action
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily

from domain.db import Database
from domain.services.overview import count_active_transactions, count_connected_chargers
from domain.settings import Settings
from web.extensions import database, settings

blueprint = Blueprint("metrics", __name__)

# The library picks its storage from this variable (read by prometheus-client itself).
_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CALLRESULT = "CALLRESULT"
UNKNOWN = "unknown"
_ACTIONS = frozenset(action.value for action in Action)
# OCPP 1.6 section 4.2.3; anything else a charger or library invents is counted as "other".
_CALLERROR_CODES = frozenset(
    {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    }
)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class _Instruments:
    directory: Path
    messages: Counter
    handler_seconds: Histogram
    commands: Counter
    boots: Counter
    sockets: Gauge
    tasks: Counter


_instruments: _Instruments | None = None


def _build_instruments(directory: Path) -> _Instruments:
    # prometheus-client chooses its storage when it is imported; choose again now that the
    # folder is known, before any metric of this process exists.
    os.environ[_DIRECTORY_VARIABLE] = str(directory)
    values.ValueClass = values.get_value_class()
    return _Instruments(
        directory=directory,
        messages=Counter(
            "voltline_ocpp_messages_received",
            "OCPP CALLs received from chargers, by action and by our answer "
            "(CALLRESULT or the CALLERROR code)",
            ["action", "answer"],
            registry=None,
        ),
        handler_seconds=Histogram(
            "voltline_ocpp_handler_seconds",
            "Time from a charger's CALL arriving to our answer being ready, by action",
            ["action"],
            buckets=_LATENCY_BUCKETS,
            registry=None,
        ),
        commands=Counter(
            "voltline_commands",
            "Central-system commands by action and recorded outcome",
            ["action", "outcome"],
            registry=None,
        ),
        boots=Counter(
            "voltline_boot_notifications",
            "BootNotification answers by registration status",
            ["status"],
            registry=None,
        ),
        sockets=Gauge(
            "voltline_charger_sockets",
            "Charger WebSockets open on this server (all its workers)",
            registry=None,
            multiprocess_mode="livesum",
        ),
        tasks=Counter(
            "voltline_celery_tasks",
            "Background tasks by name and state",
            ["task", "state"],
            registry=None,
        ),
    )


def _active(directory: Path) -> _Instruments:
    global _instruments
    if _instruments is None or _instruments.directory != directory:
        directory.mkdir(parents=True, exist_ok=True)
        _instruments = _build_instruments(directory)
    return _instruments


def init_metrics(app: Flask, config: Settings) -> None:
    """Record this process's metrics under the configured folder and serve GET /metrics."""
    _active(config.metrics_directory)
    app.register_blueprint(blueprint)


def empty_metrics_directory(config: Settings) -> None:
    """Start a server with no samples left over from an earlier run (gunicorn's master)."""
    directory = config.metrics_directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[_DIRECTORY_VARIABLE] = str(directory)


def worker_exited(pid: int) -> None:
    """Forget the live gauges of a worker that has gone (its counters stay summed)."""
    if _DIRECTORY_VARIABLE in os.environ:
        multiprocess.mark_process_dead(pid)


def _action_label(action: str | None) -> str:
    return action if action in _ACTIONS else UNKNOWN


def record_ocpp_message(action: str | None, answer: str, seconds: float) -> None:
    """One CALL from a charger answered with CALLRESULT or a CALLERROR code."""
    if _instruments is None:
        return
    label = _action_label(action)
    if answer != CALLRESULT and answer not in _CALLERROR_CODES:
        answer = "other"
    _instruments.messages.labels(label, answer).inc()
    _instruments.handler_seconds.labels(label).observe(seconds)


def record_boot_answer(status: str) -> None:
    if _instruments is not None:
        _instruments.boots.labels(status).inc()


def record_command_outcome(action: str, outcome: str) -> None:
    if _instruments is not None:
        _instruments.commands.labels(_action_label(action), outcome).inc()


def charger_socket_opened() -> None:
    if _instruments is not None:
        _instruments.sockets.inc()


def charger_socket_closed() -> None:
    if _instruments is not None:
        _instruments.sockets.dec()


def record_task(name: str, state: str) -> None:
    if _instruments is not None:
        _instruments.tasks.labels(name, state).inc()


class _SystemGauges:
    """Scrape-time gauges read from the database, true for the whole system."""

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


def _scraper_allowed() -> tuple[bool, int, str]:
    token = settings().metrics_token
    if token is not None:
        supplied = request.headers.get("Authorization", "")
        allowed = hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())
        return allowed, 401, "a valid 'Authorization: Bearer <METRICS_TOKEN>' header is required"
    return _is_loopback(request.remote_addr), 403, "only loopback clients (METRICS_TOKEN unset)"


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


@blueprint.get("/metrics")
def metrics():
    allowed, status, message = _scraper_allowed()
    if not allowed:
        body = {"code": status, "status": "Unauthorized" if status == 401 else "Forbidden"}
        response = jsonify({**body, "message": message})
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(settings().metrics_directory))
    registry.register(_SystemGauges(database()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
