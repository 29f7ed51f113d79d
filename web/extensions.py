"""Accessors for the per-app objects create_app() is given."""

from __future__ import annotations

from flask import Flask, current_app

from domain.db import Database
from domain.settings import Settings

SETTINGS_KEY = "voltline.settings"
DATABASE_KEY = "voltline.db"


def settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions[SETTINGS_KEY]


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[DATABASE_KEY]
