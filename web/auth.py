"""JWT set-up: token issue, roles as claims, and a blocklist that survives restarts.

Every request with a token looks its user up, so a deleted user's tokens stop working and
a role change takes effect at once; the `role` claim is informational for clients.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import Flask, has_request_context, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    decode_token,
    get_jwt,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import RevokedTokenError, UserLookupError, WrongTokenError

from domain.errors import PermissionDenied
from domain.models import Role, User
from domain.services.users import revoke_token, token_holder
from web.extensions import database

jwt = JWTManager()

ROLE_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}
_TOKEN_HOLDER = "voltline.token_holder"  # in the request environ: (jti, (revoked, user))


def init_jwt(app: Flask, secret: str, access_minutes: int, refresh_days: int) -> None:
    app.config.update(
        JWT_SECRET_KEY=secret,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=access_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=refresh_days),
        JWT_TOKEN_LOCATION=["headers"],
    )
    jwt.init_app(app)


def _claims(user: User) -> dict:
    return {"role": user.role, "username": user.username}


def issue_tokens(user: User) -> tuple[str, str]:
    """An (access, refresh) pair for `user`; the role travels as a claim."""
    access = create_access_token(identity=str(user.id), additional_claims=_claims(user))
    refresh = create_refresh_token(identity=str(user.id), additional_claims=_claims(user))
    return access, refresh


def access_token_from_refresh(refresh_token: str) -> str:
    """A new access token for the user of a valid, unrevoked refresh token.

    Raises flask-jwt-extended's / PyJWT's errors (answered 401) for anything else."""
    payload = decode_token(refresh_token)
    if payload.get("type") != "refresh":
        raise WrongTokenError("only a refresh token can be refreshed")
    user = load_user({}, payload)
    if token_revoked({}, payload):
        raise RevokedTokenError({}, payload)
    if user is None:
        raise UserLookupError("the token's user no longer exists", {}, payload)
    return create_access_token(identity=str(user.id), additional_claims=_claims(user))


def revoke_presented_token(extra_token: str | None = None) -> int:
    """Revoke the request's verified token (access or refresh) and, if given, `extra_token`
    of the same user (so a log-out can end both). Returns how many were revoked.

    Raises flask-jwt-extended's errors (401) for a bad `extra_token`, PermissionDenied when
    it belongs to another user."""
    payloads = [get_jwt()]
    if extra_token is not None:
        extra = decode_token(extra_token)
        if extra["sub"] != payloads[0]["sub"]:
            raise PermissionDenied("a token can only revoke tokens of its own user")
        payloads.append(extra)
    with database().unit_of_work() as session:
        for payload in payloads:
            revoke_token(session, payload["jti"], datetime.fromtimestamp(payload["exp"], UTC))
    return len(payloads)


def has_role(user: User, minimum: Role) -> bool:
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[minimum]


def role_required(minimum: Role, locations: list[str] | None = None) -> Callable:
    """Decorator: a valid access token whose user has at least `minimum` (viewer < operator
    < admin), looked for in `locations` (default: JWT_TOKEN_LOCATION, the headers).
    Missing/bad token -> 401 via flask-jwt-extended; too low a role -> 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request(locations=locations)
            if not has_role(current_user, minimum):
                raise PermissionDenied(f"this needs the {minimum} role or higher")
            return view(*args, **kwargs)

        return guarded

    return decorator


@jwt.token_in_blocklist_loader
def token_revoked(_header: dict, payload: dict) -> bool:
    return _token_holder(payload)[0]


@jwt.user_lookup_loader
def load_user(_header: dict, payload: dict) -> User | None:
    return _token_holder(payload)[1]


def _token_holder(payload: dict) -> tuple[bool, User | None]:
    """Whether the token is revoked and its user: one unit of work per request for both,
    kept in the request's environ for the rest of that request (never longer: `g` can
    outlive a request)."""
    kept = request.environ if has_request_context() else {}
    known = kept.get(_TOKEN_HOLDER)
    if known is not None and known[0] == payload["jti"]:
        return known[1]
    with database().unit_of_work() as session:
        holder = token_holder(session, payload["jti"], int(payload["sub"]))
    kept[_TOKEN_HOLDER] = (payload["jti"], holder)
    return holder
