"""create_app(): the only place that wires Flask extensions and blueprints.

It is handed the concrete pieces it does not build itself (database, presence, the domain
event bus with its outbox and metrics subscribers) by the composition root, bootstrap.py;
web never imports tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from adapters.presence import Presence
from domain.db import Database
from domain.events import EventBus
from domain.settings import Settings
from web import dashboard, health
from web.access import init_access
from web.api import init_api
from web.auth import init_jwt
from web.cli import register_cli
from web.extensions import DATABASE_KEY, EVENTS_KEY, SETTINGS_KEY
from web.metrics import init_metrics
from web.ocpp import init_ocpp
from web.relay import init_relay


@dataclass(frozen=True)
class WebParts:
    """What the web app uses but does not build (see bootstrap.py)."""

    database: Database
    presence: Presence
    events: EventBus


def create_app(settings: Settings, parts: WebParts) -> Flask:
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[DATABASE_KEY] = parts.database
    app.extensions[EVENTS_KEY] = parts.events
    init_jwt(app, settings.jwt_secret_key, settings.jwt_access_minutes, settings.jwt_refresh_days)
    init_access(app)
    init_api(app)
    init_ocpp(app, parts.presence, parts.events)
    init_relay(app, parts.events)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(dashboard.blueprint)
    init_metrics(app, settings)
    register_cli(app)
    return app
