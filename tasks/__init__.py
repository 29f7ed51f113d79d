"""The Celery app for `celery -A tasks worker` and `celery -A tasks beat`.

Configuration is applied lazily from `Settings.from_env()` (celeryconfig.celery_options), so
importing this package reads no environment; the worker and beat read it when they start.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from celeryconfig import celery_options
from domain.logs import configure_logging
from domain.settings import Settings

app = Celery("voltline", include=["tasks.definitions"])
app.add_defaults(lambda: celery_options(Settings.from_env()))


@setup_logging.connect
def _structured_logging(**_kwargs) -> None:
    # Workers and beat log like the web process: LOG_LEVEL and LOG_FORMAT, key=value or JSON.
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
