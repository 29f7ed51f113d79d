"""Operator accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, PermissionDenied
from domain.models import Role, User
from domain.passwords import hash_secret, verify_secret


def ensure_user(session: Session, username: str, password: str, role: str = Role.ADMIN) -> User:
    """The user `username`, created with `password` and `role` if absent (flushed).

    An existing user keeps its password and role, so the command is idempotent.
    """
    if role not in set(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash=hash_secret(password), role=role)
        session.add(user)
        session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The user whose password matches; raises PermissionDenied otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not verify_secret(password, user.password_hash):
        raise PermissionDenied("no active account found with the given credentials")
    return user
