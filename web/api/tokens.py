"""POST /api/token/, /api/token/refresh/, /api/token/revoke/: the original design's shapes."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import abort

from domain.errors import PermissionDenied
from domain.services.users import authenticate
from web.access import client_address, login_throttle
from web.api.blueprint import BEARER_SCHEME, ApiBlueprint
from web.api.fields import text
from web.auth import access_token_from_refresh, issue_tokens, revoke_presented_token
from web.extensions import database

blp = ApiBlueprint(
    "tokens",
    __name__,
    url_prefix="/api/token",
    description="JWT access and refresh tokens (no token needed to ask for one).",
)

TOKEN_LENGTH = 4096


class CredentialsSchema(ma.Schema):
    username = text(150, min_length=1, required=True)
    password = text(1024, min_length=1, required=True, load_only=True)


class TokenPairSchema(ma.Schema):
    access = ma.fields.String(required=True, metadata={"description": "Bearer token for the API"})
    refresh = ma.fields.String(required=True, metadata={"description": "Trade for a new access"})


class RefreshSchema(ma.Schema):
    refresh = text(TOKEN_LENGTH, min_length=1, required=True)


class AccessSchema(ma.Schema):
    access = ma.fields.String(required=True)


class RevokeSchema(ma.Schema):
    refresh = text(
        TOKEN_LENGTH,
        min_length=1,
        metadata={"description": "Also revoke this refresh token of the same user (log-out)"},
    )


class RevokedSchema(ma.Schema):
    revoked = ma.fields.Integer(required=True, metadata={"description": "Tokens revoked"})


@blp.route("/")
class Tokens(MethodView):
    @blp.arguments(CredentialsSchema)
    @blp.response(HTTPStatus.OK, TokenPairSchema)
    @blp.alt_response(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED")
    @blp.alt_response(HTTPStatus.TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS")
    def post(self, credentials):
        """Log in: an access and a refresh token for a username and password

        Failed log-ins are throttled per username and per client address: beyond
        LOGIN_MAX_FAILURES within LOGIN_WINDOW_SECONDS the answer is 429 with Retry-After."""
        username = credentials["username"]
        try:
            with (
                login_throttle().attempt(username, client_address()),
                database().unit_of_work() as session,
            ):
                user = authenticate(session, username, credentials["password"])
                access, refresh = issue_tokens(user)
        except PermissionDenied as error:
            abort(HTTPStatus.UNAUTHORIZED, message=error.message)
        return {"access": access, "refresh": refresh}


@blp.route("/refresh/")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(HTTPStatus.OK, AccessSchema)
    @blp.alt_response(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED")
    def post(self, body):
        """A new access token for a valid, unrevoked refresh token"""
        return {"access": access_token_from_refresh(body["refresh"])}


@blp.route("/revoke/")
class Revoke(MethodView):
    @jwt_required(verify_type=False)
    @blp.arguments(RevokeSchema, required=False)
    @blp.response(HTTPStatus.OK, RevokedSchema)
    @blp.alt_response(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED")
    @blp.alt_response(HTTPStatus.FORBIDDEN, "FORBIDDEN")
    @blp.doc(security=[{BEARER_SCHEME: []}])
    def post(self, body):
        """Revoke the presented token (access or refresh), and optionally a refresh token

        Revoked tokens stay refused after a restart (they are kept in the database)."""
        return {"revoked": revoke_presented_token(body.get("refresh"))}
