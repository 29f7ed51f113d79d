"""The composition root: builds the concrete pieces and wires web, tasks and adapters.

`create_app()` is what wsgi.py (gunicorn, `flask --app wsgi`) and the tests use. Only here do
the web app and the tasks package meet: the domain event bus gets its outbox subscriber (the
dispatch port bound to tasks/dispatch.py) and its metrics subscriber, and an embedded app
gets tasks/scheduler.py's in-process beat.
"""

from __future__ import annotations

from functools import partial

from flask import Flask

from adapters.metrics import count_events
from adapters.outbox import AfterCommitDispatcher
from adapters.presence import build_presence
from domain.db import Database
from domain.events import BackgroundWorkRecorded, EventBus
from domain.logs import configure_logging
from domain.settings import Settings
from tasks.dispatch import dispatch_pending
from tasks.scheduler import SCHEDULER_KEY, embedded_scheduler
from web.app import WebParts
from web.app import create_app as create_web_app
from web.relay import relay


def create_app(settings: Settings | None = None) -> Flask:
    """The web app for `settings` (default: from the environment), with every part wired."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    database = Database.from_settings(settings)
    presence = build_presence(settings)
    outbox = AfterCommitDispatcher(partial(dispatch_pending, database, settings))
    events = EventBus()
    events.subscribe(BackgroundWorkRecorded, lambda _event: outbox.request())
    count_events(events)
    app = create_web_app(settings, WebParts(database, presence, events))
    scheduler = embedded_scheduler(database, settings, presence, relay(app).transport)
    if scheduler is not None:
        app.extensions[SCHEDULER_KEY] = scheduler
        # Started by the first request, so CLI commands never run it and each gunicorn
        # worker starts its own after the fork.
        app.before_request(scheduler.ensure_started)
    return app
