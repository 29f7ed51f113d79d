"""The deployed Celery app (`tasks.app`) plus instrumentation for fault tests.

Run as `celery -A tests.e2e.tasks.instrumented_app worker|beat`. Under the configured key prefix
in Redis it records every task's result (`test:results`), counts finalize_session attempts
(`test:attempts:<id>`), and holds the first attempt for a transaction open after the work is
done but before its unit of work commits, announcing its process id (`test:started`) so a
test can kill that process mid-task. Nothing here changes what a task does.
"""

from __future__ import annotations

import json
import os
import time

import redis
from celery.signals import task_success

from domain.services import sessions
from domain.settings import Settings
from tasks import (
    app,  # noqa: F401 - the app `celery -A` finds here
    definitions,  # noqa: F401 - registers the tasks
)

_settings = Settings.from_env()
_redis = redis.Redis.from_url(_settings.redis_url)
_finalize = sessions.finalize_session


def test_key(name: str) -> str:
    return f"{_settings.celery_key_prefix}test:{name}"


def _finalize_held_open_once(session, transaction_id, now=None):
    outcome = _finalize(session, transaction_id, now)
    if _redis.incr(test_key(f"attempts:{transaction_id}")) == 1:
        started = {"pid": os.getpid(), "transaction_id": transaction_id}
        _redis.rpush(test_key("started"), json.dumps(started))
        time.sleep(_settings.task_time_limit)  # the test kills this process long before
    return outcome


sessions.finalize_session = _finalize_held_open_once


@task_success.connect
def _record_result(sender=None, result=None, **_kwargs) -> None:
    _redis.rpush(test_key("results"), json.dumps({"task": sender.name, "result": result}))
