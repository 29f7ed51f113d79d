"""The operator REST API: flask-smorest blueprints, OpenAPI at /api/openapi.json,
Swagger UI at /api/docs, JWT bearer auth with viewer < operator < admin."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema

from web.api import (
    chargers,
    commands,
    connectors,
    events,
    health,
    id_tags,
    key_rotation,
    messages,
    send_command,
    status_logs,
    swagger_assets,
    tokens,
    transactions,
    users,
)
from web.api.blueprint import BEARER_SCHEME
from web.api.errors import ErrorSchema, http_exception_response, register_error_handlers
from web.api.fields import NameConverter, UTCDateTime, name_parameter
from web.auth import jwt

BLUEPRINTS = (
    tokens.blp,
    health.blp,
    chargers.blp,
    key_rotation.blp,
    connectors.blp,
    send_command.blp,
    commands.blp,
    events.blp,
    messages.blp,
    transactions.blp,
    status_logs.blp,
    id_tags.blp,
    users.blp,
)


class VoltlineApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_exception_response(error)

    def _register_pagination_header(self):
        # X-Pagination holds JSON; OpenAPI says so with `content`, where flask-smorest's
        # `schema` would mean the comma-separated form of an object header.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata (total, total_pages, page, next_page, ...)",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


def init_api(app: Flask) -> Api:
    """Register every API blueprint, the spec and docs routes, and the error handlers."""
    app.config.update(
        API_TITLE="Voltline",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=swagger_assets.ASSETS_URL,
        # No badge from the online validator: the docs work offline and under their CSP.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": "Operator API of the Voltline OCPP 1.6J central system. "
                "Get a token with POST /api/token/ and send it as `Authorization: Bearer`."
            },
        },
    )
    app.url_map.converters["name"] = NameConverter
    api = VoltlineApi(app)
    api.register_converter(NameConverter, name_parameter)
    api.register_field(UTCDateTime, "string", "date-time")
    api.spec.components.security_scheme(
        BEARER_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_error_handlers(app, jwt)
    app.register_blueprint(swagger_assets.blueprint)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return api
