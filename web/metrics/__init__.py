"""Prometheus metrics served at GET /metrics; they are defined and recorded in
adapters/metrics.py (no Flask, so Celery workers record too) and re-exported here.

gunicorn runs several worker processes and a scrape reaches only one of them, so every metric
lives in prometheus-client's multiprocess mode: each process writes its samples to files in
`Settings.metrics_directory` and a scrape merges the files of all of them. gunicorn.conf.py
empties that folder when the server starts and drops a dead worker's live gauges.

Connected chargers and active transactions are read from the database at scrape time, so they
are right whichever node or worker is asked. Celery workers run on other machines or in other
containers, so with Redis their task counts live in one Redis hash that every scrape reads.
"""

from __future__ import annotations

from flask import Flask

from adapters.metrics import (
    CALLRESULT,
    TaskState,
    charger_socket_closed,
    charger_socket_opened,
    empty_metrics_directory,
    record_boot_answer,
    record_command_outcome,
    record_ocpp_message,
    record_socket_end,
    record_task,
    record_write_behind,
    start_recording,
    worker_exited,
)
from domain.settings import Settings
from web.metrics.scrape import blueprint

__all__ = [
    "CALLRESULT",
    "TaskState",
    "charger_socket_closed",
    "charger_socket_opened",
    "empty_metrics_directory",
    "init_metrics",
    "record_boot_answer",
    "record_command_outcome",
    "record_ocpp_message",
    "record_socket_end",
    "record_task",
    "record_write_behind",
    "start_recording",
    "worker_exited",
]


def init_metrics(app: Flask, config: Settings) -> None:
    """Record this process's metrics under the configured folder and serve GET /metrics."""
    start_recording(config)
    app.register_blueprint(blueprint)
