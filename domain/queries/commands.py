"""Central-system commands as operators look them up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import Charger, Command
from domain.queries.paging import Page, PageRequest, fetch_page, within


def list_commands(
    session: Session,
    page: PageRequest,
    *,
    charger: str | None = None,
    action: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Newest first; since/until bound the creation time."""
    statement = select(Command).order_by(Command.created_at.desc(), Command.id)
    if charger is not None:
        statement = statement.where(
            Command.charger_id.in_(select(Charger.id).where(Charger.name == charger))
        )
    if action is not None:
        statement = statement.where(Command.action == action)
    if status is not None:
        statement = statement.where(Command.status == status)
    statement = within(statement, Command.created_at, since, until)
    return fetch_page(session, statement, page)
