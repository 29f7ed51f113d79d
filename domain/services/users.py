"""Operator accounts."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session, make_transient_to_detached

from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.models import RevokedToken, Role, User
from domain.passwords import generate_password, hash_secret, verify_secret

DEMO_ADMIN = "admin"
_USERS = User.__table__
_REVOKED = exists().where(RevokedToken.__table__.c.jti == bindparam("jti"))
# Every authenticated request asks this: built once, run on the session's connection.
_TOKEN_HOLDER = select(*_USERS.c, _REVOKED.label("revoked")).where(
    _USERS.c.id == bindparam("user_id")
)
_TOKEN_REVOKED = select(_REVOKED)
# The original design's demo credentials; only ever created on the embedded default.
DEMO_ADMIN_PASSWORD = "admin"


def ensure_user(session: Session, username: str, password: str, role: str = Role.ADMIN) -> User:
    """The user `username`, created with `password` and `role` if absent (flushed).

    An existing user keeps its password and role, so the command is idempotent.
    """
    _check_role(role)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash=hash_secret(password), role=role)
        session.add(user)
        session.flush()
    return user


def provision_user(
    session: Session, username: str, password: str | None, role: str = Role.ADMIN
) -> tuple[User, str | None]:
    """The user `username` (flushed) and the password it was just given, if any.

    A missing user is created with `password`, or with a generated strong one that is
    returned (shown once, never stored in the clear); an existing user is left as it is.
    Raises InvalidInput for an unknown role."""
    _check_role(role)
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user, None
    if password is not None:
        return ensure_user(session, username, password, role), None
    generated = generate_password()
    return ensure_user(session, username, generated, role), generated


def seed_admin(session: Session, embedded: bool) -> tuple[User, str | None]:
    """The `admin` user `bin/serve` starts with (flushed), and the password it was just given.

    On the embedded default (a demo on one machine) it is the original design's
    `admin`/`admin`. Anywhere else no well-known credentials may exist: a new admin gets a
    generated password, and an admin still using `admin` (seeded by an older version) gets
    a new one. Returns the new password when one was generated, else None."""
    if embedded:
        return ensure_user(session, DEMO_ADMIN, DEMO_ADMIN_PASSWORD), None
    user, generated = provision_user(session, DEMO_ADMIN, None)
    if generated is None and verify_secret(DEMO_ADMIN_PASSWORD, user.password_hash):
        generated = generate_password()
        update_user(session, DEMO_ADMIN, password=generated)
    return user, generated


def authenticate(session: Session, username: str, password: str) -> User:
    """The user whose password matches; raises PermissionDenied otherwise.

    An unknown username costs the same hashing as a wrong password, so response times do
    not tell which usernames exist."""
    user = session.scalar(select(User).where(User.username == username))
    matches = verify_secret(password, user.password_hash if user else _unknown_user_hash())
    if user is None or not matches:
        raise PermissionDenied("no active account found with the given credentials")
    return user


@cache
def _unknown_user_hash() -> str:
    return hash_secret(secrets.token_hex(16))


def find_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user(session: Session, username: str) -> User:
    """The user `username`; raises NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def create_user(session: Session, username: str, password: str, role: str = Role.VIEWER) -> User:
    """Add a user (flushed); raises Conflict when the name is taken, InvalidInput for a role
    that does not exist."""
    _check_role(role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    return ensure_user(session, username, password, role)


def update_user(
    session: Session, username: str, *, role: str | None = None, password: str | None = None
) -> User:
    """Change a user's role and/or password (flushed).

    Raises NotFound, InvalidInput for an unknown role, Conflict when it would leave no admin."""
    user = get_user(session, username)
    if role is not None:
        _check_role(role)
        if user.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(session)
        user.role = role
    if password is not None:
        user.password_hash = hash_secret(password)
    session.flush()
    return user


def delete_user(session: Session, username: str) -> None:
    """Remove a user (flushed); raises NotFound, or Conflict for the last admin.

    Tokens already issued to the user stop working: the API looks the user up on each request."""
    user = get_user(session, username)
    if user.role == Role.ADMIN:
        _keep_an_admin(session)
    session.delete(user)
    session.flush()


def revoke_token(session: Session, jti: str, expires_at: datetime) -> None:
    """Put a token id on the blocklist (flushed); revoking twice is harmless."""
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, expires_at=expires_at))
        session.flush()


def token_holder(session: Session, jti: str, user_id: int) -> tuple[bool, User | None]:
    """(is the token `jti` revoked, its user `user_id` or None when gone): one query for the
    two questions every authenticated request asks. The user comes detached, as if loaded
    by a session that has closed."""
    connection = session.connection()
    row = connection.execute(_TOKEN_HOLDER, {"jti": jti, "user_id": user_id}).first()
    if row is None:
        return bool(connection.execute(_TOKEN_REVOKED, {"jti": jti}).scalar()), None
    *columns, revoked = row
    user = User(**dict(zip(_USERS.c.keys(), columns, strict=True)))
    make_transient_to_detached(user)
    return bool(revoked), user


def _check_role(role: str) -> None:
    if role not in set(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}")


def _keep_an_admin(session: Session) -> None:
    admins = session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN))
    if admins <= 1:
        raise Conflict("the last admin cannot be removed or demoted")
