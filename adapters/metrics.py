"""Recording metrics: the instruments, the functions the socket, relay and tasks call, and the
per-process sample files of prometheus-client's multiprocess mode. No Flask: the web process
serves them (web/metrics), Celery workers count their tasks here too."""

from __future__ import annotations

import enum
import logging
import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import redis
from ocpp.v16 import enums as ocpp_enums
from ocpp.v16.enums import Action
from prometheus_client import Counter, Gauge, Histogram, multiprocess, values

from domain.events import BootAnswered, CallAnswered, EventBus
from domain.models import CommandStatus
from domain.settings import Settings

log = logging.getLogger(__name__)

# prometheus-client reads its storage folder from this variable; we only ever write it, from
# Settings (nothing here reads the environment).
_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CALLRESULT = "CALLRESULT"
UNKNOWN = "unknown"
OTHER = "other"
TASKS_METRIC = "voltline_celery_tasks"
TASKS_HELP = "Background tasks by name and state"
TASK_FIELD_SEPARATOR = "|"
_ACTIONS = frozenset(action.value for action in Action)
# Status words come from chargers: only words OCPP 1.6 knows become label values (a charger
# inventing words must not grow the series without bound); anything else is "other".
_STATUS_WORDS = frozenset(
    member.value
    for name, kind in vars(ocpp_enums).items()
    if name.endswith("Status") and isinstance(kind, type) and issubclass(kind, enum.Enum)
    for member in kind
) | frozenset(status.value for status in CommandStatus)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class TaskState(enum.StrEnum):
    SENT = "sent"  # handed to the Celery broker
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class _Instruments:
    directory: Path
    messages: Counter
    handler_seconds: Histogram
    commands: Counter
    boots: Counter
    sockets: Gauge
    tasks: Counter
    protocol_errors: Counter
    socket_ends: Counter
    write_behind: Counter
    # The labelled children a CALL's answer updates, by (action label, answer): looking
    # them up with labels() costs more per message than the updates themselves.
    call_children: dict[tuple[str, str], tuple] = field(default_factory=dict)


_instruments: _Instruments | None = None


def _build_instruments(directory: Path) -> _Instruments:
    # prometheus-client chooses its storage when it is imported; choose again now that the
    # folder is known, before any metric of this process exists.
    os.environ[_DIRECTORY_VARIABLE] = str(directory)
    values.ValueClass = values.MultiProcessValue()
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
        tasks=Counter(TASKS_METRIC, TASKS_HELP, ["task", "state"], registry=None),
        protocol_errors=Counter(
            "voltline_ocpp_protocol_errors",
            "CALLERRORs we answered chargers' CALLs (and broken frames) with, by code",
            ["code"],
            registry=None,
        ),
        socket_ends=Counter(
            "voltline_charger_socket_ends",
            "Charger sockets ended, by how: replaced (another socket took the identity), "
            "dropped (no close frame, ping timeout) or closed",
            ["how"],
            registry=None,
        ),
        write_behind=Counter(
            "voltline_write_behind_rows",
            "Bookkeeping rows written behind (last heartbeats, message-log rows of "
            "non-transactional frames), by outcome: queued, written, dropped (queue full)",
            ["outcome"],
            registry=None,
        ),
    )


def start_recording(config: Settings) -> None:
    """Record this process's metrics as sample files in the configured folder."""
    global _instruments
    directory = config.metrics_directory
    if _instruments is None or _instruments.directory != directory:
        directory.mkdir(parents=True, exist_ok=True)
        _instruments = _build_instruments(directory)


def empty_metrics_directory(config: Settings) -> None:
    """Start a server with no samples left over from an earlier run (gunicorn's master)."""
    directory = config.metrics_directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[_DIRECTORY_VARIABLE] = str(directory)


def worker_exited(config: Settings, pid: int) -> None:
    """Forget the live gauges of a worker that has gone (its counters stay summed)."""
    multiprocess.mark_process_dead(pid, path=str(config.metrics_directory))


def _action_label(action: str | None) -> str:
    return action if action in _ACTIONS else UNKNOWN


def _status_label(word: str | None) -> str:
    return word if word in _STATUS_WORDS else OTHER


def record_ocpp_message(action: str | None, answer: str, seconds: float | None = None) -> None:
    """One CALL from a charger answered with CALLRESULT or a CALLERROR code (web/ocpp's own
    1.6 words), and how long its handler took (None: refused before any handler saw it)."""
    if _instruments is None:
        return
    label = _action_label(action)
    children = _instruments.call_children.get((label, answer))
    if children is None:
        children = _call_children(_instruments, label, answer)
    message, error, handler_seconds = children
    message.inc()
    if error is not None:
        error.inc()
    if seconds is not None:
        handler_seconds.observe(seconds)


def _call_children(instruments: _Instruments, label: str, answer: str) -> tuple:
    """The children recording a CALL of action `label` answered `answer` (kept)."""
    error = None if answer == CALLRESULT else instruments.protocol_errors.labels(answer)
    children = (
        instruments.messages.labels(label, answer),
        error,
        instruments.handler_seconds.labels(label),
    )
    instruments.call_children[(label, answer)] = children
    return children


def count_events(events: EventBus) -> None:
    """Count answered charger calls and boot answers as their domain events are published."""
    events.subscribe(CallAnswered, lambda e: record_ocpp_message(e.action, e.answer, e.seconds))
    events.subscribe(BootAnswered, lambda e: record_boot_answer(e.registration_status))


def record_boot_answer(status: str) -> None:
    if _instruments is not None:
        _instruments.boots.labels(_status_label(status)).inc()


def record_command_outcome(action: str, outcome: str) -> None:
    if _instruments is not None:
        _instruments.commands.labels(_action_label(action), _status_label(outcome)).inc()


def record_socket_end(how: str) -> None:
    """A charger socket ended: replaced, dropped or closed (domain SocketEventKind)."""
    if _instruments is not None:
        _instruments.socket_ends.labels(how).inc()


def record_write_behind(outcome: str, rows: int) -> None:
    """Rows queued, written or dropped by a worker's write-behind (domain/write_behind.py)."""
    if _instruments is not None:
        _instruments.write_behind.labels(outcome).inc(rows)


def charger_socket_opened() -> None:
    if _instruments is not None:
        _instruments.sockets.inc()


def charger_socket_closed() -> None:
    if _instruments is not None:
        _instruments.sockets.dec()


def task_counts_key(config: Settings) -> str:
    return f"{config.celery_key_prefix}metrics:tasks"


@lru_cache(maxsize=8)
def shared_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def record_task(config: Settings, name: str, state: TaskState, count: int = 1) -> None:
    """A background job (by its Celery task name) was sent, or ran to success or failure
    (`count` such jobs at once: one update for a batch).

    Embedded, jobs run in the web process and count there; with Redis they run in Celery
    workers anywhere, and count in one Redis hash that /metrics reads. A metrics failure is
    logged and never fails the task."""
    if config.redis_url is None:
        if _instruments is not None:
            _instruments.tasks.labels(name, state).inc(count)
        return
    try:
        field = f"{name}{TASK_FIELD_SEPARATOR}{state}"
        shared_redis(config.redis_url).hincrby(task_counts_key(config), field, count)
    except redis.RedisError as error:
        log.warning("task not counted", extra={"task": name, "outcome": state, "error": error})
