"""Operator accounts (never their password hashes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import User
from domain.queries.paging import Page, PageRequest, fetch_page


def list_users(session: Session, page: PageRequest, *, role: str | None = None) -> Page:
    """Users by username."""
    statement = select(User).order_by(User.username)
    if role is not None:
        statement = statement.where(User.role == role)
    return fetch_page(session, statement, page)
