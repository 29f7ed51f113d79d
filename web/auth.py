"""JWT set-up: token issue, roles as claims, and a blocklist that survives restarts."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from sqlalchemy import select

from domain.models import RevokedToken, User
from web.extensions import database

jwt = JWTManager()


def init_jwt(app: Flask, secret: str, access_minutes: int, refresh_days: int) -> None:
    app.config.update(
        JWT_SECRET_KEY=secret,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=access_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=refresh_days),
        JWT_TOKEN_LOCATION=["headers"],
    )
    jwt.init_app(app)


def issue_tokens(user: User) -> tuple[str, str]:
    """An (access, refresh) pair for `user`; the role travels as a claim."""
    claims = {"role": user.role, "username": user.username}
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user.id), additional_claims=claims)
    return access, refresh


@jwt.token_in_blocklist_loader
def token_revoked(_header: dict, payload: dict) -> bool:
    with database().unit_of_work() as session:
        revoked = select(RevokedToken.jti).where(RevokedToken.jti == payload["jti"])
        return session.scalar(revoked) is not None
