"""The embedded stand-in for Celery beat: periodic jobs on a background thread of the web app.

Only in embedded mode (no REDIS_URL) and only when EMBEDDED_SCHEDULER is on (the default from
the environment; off for Settings built directly, as in tests). It starts with the first
request the app serves, so CLI commands (`flask --app wsgi db-upgrade`) never run it and a
gunicorn worker starts its own after the fork (bootstrap.py attaches it to the app). Under
gevent the thread is a greenlet and its waits yield. The jobs are the ones Celery beat runs
(same table, celeryconfig), and each is safe to run twice, so several gunicorn workers each
running a scheduler do no harm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.presence import Presence
from adapters.relay import RelayTransport
from celeryconfig import periodic_intervals
from domain.db import Database
from domain.settings import Settings
from tasks.dispatch import OUTBOX_JOB
from tasks.jobs import run_job

log = logging.getLogger(__name__)

SCHEDULER_KEY = "voltline.scheduler"


class EmbeddedScheduler:
    """Runs each periodic job once per its interval. The outbox is dispatched at once (work
    recorded before a restart does not wait), the other jobs first run one interval in."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        job_arguments: dict[str, dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.database = database
        self.settings = settings
        self._intervals = periodic_intervals(settings)
        self._arguments = job_arguments or {}
        self._clock = clock
        self._due = {name: clock() + seconds for name, seconds in self._intervals.items()}
        self._due[OUTBOX_JOB] = clock()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def run_due(self) -> list[str]:
        """Run every job whose time has come (a failure is logged); returns their names."""
        now = self._clock()
        ran = []
        for name, due in sorted(self._due.items(), key=lambda item: item[1]):
            if due > now:
                continue
            self._due[name] = now + self._intervals[name]
            try:
                run_job(name, self.database, self.settings, self._arguments.get(name, {}))
            except Exception:  # noqa: BLE001 - the scheduler must outlive a failing job
                log.exception("scheduled job failed", extra={"task": name, "outcome": "error"})
            ran.append(name)
        return ran

    def ensure_started(self) -> None:
        """Start the background thread once (idempotent, thread-safe)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="voltline-scheduler", daemon=True
                )
                self._thread.start()
                log.info("embedded scheduler started", extra={"jobs": sorted(self._intervals)})

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            wait = min(self._due.values()) - self._clock()
            self._stop.wait(max(wait, 0.05))


def embedded_scheduler(
    database: Database, settings: Settings, presence: Presence, transport: RelayTransport
) -> EmbeddedScheduler | None:
    """The scheduler for an embedded web process, when embedded mode and EMBEDDED_SCHEDULER
    say so (else None); not started. The heartbeat sweep asks `presence`, the web process's
    own, which sockets are live; certificate renewals are offered through its `transport`."""
    if not (settings.embedded and settings.embedded_scheduler):
        return None
    job_arguments = {
        "sweep_heartbeats": {"presence": presence},
        "request_certificate_renewals": {"presence": presence, "transport": transport},
    }
    return EmbeddedScheduler(database, settings, job_arguments)
