"""Accessors for the per-app objects create_app() is given."""

from __future__ import annotations

from flask import Flask, current_app

from domain.db import Database
from domain.events import EventBus
from domain.settings import Settings

SETTINGS_KEY = "voltline.settings"
DATABASE_KEY = "voltline.db"
EVENTS_KEY = "voltline.events"


def settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions[SETTINGS_KEY]


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[DATABASE_KEY]


def event_bus(app: Flask | None = None) -> EventBus:
    """Where a view publishes the domain events its committed unit of work recorded."""
    return (app or current_app).extensions[EVENTS_KEY]
