"""Every background job as a plain function of (database, settings, **arguments).

A Celery task (tasks/definitions.py), the embedded eager path (tasks/dispatch.py) and the
embedded scheduler (tasks/scheduler.py) all run the same function: one unit of work, one
domain service call. Each is safe to run twice or concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.db import Database
from domain.settings import Settings

Job = Callable[..., Any]

JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    """Register a job under its Celery task name."""

    def register(function: Job) -> Job:
        JOBS[name] = function
        return function

    return register


def run_job(name: str, database: Database, settings: Settings, arguments: dict[str, Any]) -> Any:
    """Run the job called `name` in this process; raises KeyError for an unknown name."""
    return JOBS[name](database, settings, **arguments)
