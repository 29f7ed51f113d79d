"""The API's one error shape, `{"code", "status", "message", "errors"}`, for every failure.

Domain errors, HTTP exceptions (including webargs/marshmallow validation from flask-smorest)
and flask-jwt-extended's token errors all end here, so a client never sees HTML or another
body shape.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, jsonify
from flask_jwt_extended import JWTManager
from flask_smorest import abort
from werkzeug.exceptions import HTTPException

from domain.errors import (
    ChargerOffline,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)

log = logging.getLogger(__name__)

STATUS_OF_DOMAIN_ERROR: dict[type[DomainError], int] = {
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    ChargerOffline: HTTPStatus.CONFLICT,
    InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    PermissionDenied: HTTPStatus.FORBIDDEN,
    TooManyAttempts: HTTPStatus.TOO_MANY_REQUESTS,
}


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong"})
    errors = ma.fields.Dict(
        required=True,
        metadata={"description": "Details: field -> messages, or violations; may be empty"},
    )


def error_body(status: int, message: str, errors: dict[str, Any] | None = None) -> dict:
    return {
        "code": int(status),
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors or {},
    }


def error_response(status: int, message: str, errors: dict[str, Any] | None = None):
    return jsonify(error_body(status, message, errors)), int(status)


def abort_on_violations(action: str, violations: list[dict[str, Any]], field: str) -> None:
    """400 listing the OCPP 1.6 schema violations (as dicts) of the request's `field`;
    returns when there are none."""
    if violations:
        abort(
            HTTPStatus.BAD_REQUEST,
            message=f"{field} is not a valid OCPP 1.6 {action} request",
            errors={field: violations},
        )


def http_exception_response(error: HTTPException):
    """flask-smorest's `abort(code, message=..., errors=...)`, webargs' validation errors
    (`messages`) and plain werkzeug errors, keeping headers such as Allow."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    message = data.get("message") or error.description or HTTPStatus(error.code).phrase
    return error_body(error.code, message, errors), error.code, headers


def domain_error_response(error: DomainError):
    status = next(
        (STATUS_OF_DOMAIN_ERROR[k] for k in type(error).__mro__ if k in STATUS_OF_DOMAIN_ERROR),
        HTTPStatus.BAD_REQUEST,
    )
    log.info("request refused", extra={"status": int(status), "reason": error.message})
    body, code = error_response(status, error.message, error.details)
    if isinstance(error, TooManyAttempts):
        return body, code, {"Retry-After": str(error.retry_after)}
    return body, code


def register_error_handlers(app: Flask, jwt: JWTManager) -> None:
    """Map domain errors and every flask-jwt-extended failure to the error shape (401 for
    any bad, expired, revoked or missing token, and for a token whose user is gone)."""
    app.register_error_handler(DomainError, domain_error_response)
    unauthorized = HTTPStatus.UNAUTHORIZED

    def token_problem(message: str):
        return error_response(unauthorized, message)

    jwt.unauthorized_loader(token_problem)
    jwt.invalid_token_loader(token_problem)
    jwt.expired_token_loader(lambda _h, _p: token_problem("token has expired"))
    jwt.revoked_token_loader(lambda _h, _p: token_problem("token has been revoked"))
    jwt.needs_fresh_token_loader(lambda _h, _p: token_problem("a fresh token is required"))
    jwt.user_lookup_error_loader(lambda _h, _p: token_problem("the token's user no longer exists"))
    jwt.token_verification_failed_loader(lambda _h, _p: token_problem("token claims are invalid"))
