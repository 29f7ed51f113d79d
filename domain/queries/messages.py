"""The OCPP message log of one charger: every frame in and out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import OcppMessage
from domain.queries.paging import Page, PageRequest, fetch_page, within
from domain.services.chargers import get_charger


def list_messages(
    session: Session,
    page: PageRequest,
    *,
    charger: str,
    direction: str | None = None,
    action: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Newest first; raises NotFound for an unknown charger."""
    get_charger(session, charger)
    statement = (
        select(OcppMessage)
        .where(OcppMessage.charger_name == charger)
        .order_by(OcppMessage.created_at.desc(), OcppMessage.id.desc())
    )
    if direction is not None:
        statement = statement.where(OcppMessage.direction == direction)
    if action is not None:
        statement = statement.where(OcppMessage.action == action)
    if source is not None:
        statement = statement.where(OcppMessage.source == source)
    statement = within(statement, OcppMessage.created_at, since, until)
    return fetch_page(session, statement, page)
