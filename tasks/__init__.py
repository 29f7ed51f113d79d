"""The Celery app for `celery -A tasks worker` and `celery -A tasks beat`.

Configuration is applied lazily from `Settings.from_env()` (celeryconfig.celery_options), so
importing this package reads no environment; the worker and beat read it when they start.
"""

from __future__ import annotations

from celery import Celery

from celeryconfig import celery_options
from domain.settings import Settings

app = Celery("voltline", include=["tasks.definitions"])
app.add_defaults(lambda: celery_options(Settings.from_env()))
