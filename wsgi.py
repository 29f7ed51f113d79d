"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from domain.settings import Settings, SettingsError

try:
    _settings = Settings.from_env()
except SettingsError as error:
    sys.exit(f"configuration error: {error}")

from bootstrap import create_app  # noqa: E402 - settings are checked before anything else loads

app = create_app(_settings)
