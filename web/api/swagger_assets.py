"""Swagger UI's files served from the pinned `swagger-ui-bundle` package, so /api/docs
works on a network with no way out (no CDN)."""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/docs/assets/"

blueprint = Blueprint("swagger_assets", __name__)


@blueprint.get(f"{ASSETS_URL}<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
