"""create_app(): the only place that wires extensions and blueprints."""

from __future__ import annotations

from flask import Flask

from domain.db import Database
from domain.logs import configure_logging
from domain.settings import Settings
from tasks.scheduler import init_embedded_scheduler
from web import dashboard, health
from web.access import init_access
from web.api import init_api
from web.auth import init_jwt
from web.cli import register_cli
from web.extensions import DATABASE_KEY, SETTINGS_KEY
from web.metrics import init_metrics
from web.ocpp import init_ocpp, ocpp_node
from web.relay import init_relay


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[DATABASE_KEY] = Database(settings.database_url)
    init_jwt(app, settings.jwt_secret_key, settings.jwt_access_minutes, settings.jwt_refresh_days)
    init_access(app)
    init_api(app)
    init_ocpp(app)
    init_relay(app)
    init_embedded_scheduler(app, ocpp_node(app).presence)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(dashboard.blueprint)
    init_metrics(app, settings)
    register_cli(app)
    return app
