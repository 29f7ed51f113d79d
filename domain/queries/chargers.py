"""Chargers as operators see them: list, the connected ones, one by name."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from domain.errors import NotFound
from domain.models import Charger, ChargerStatus
from domain.queries.paging import Page, PageRequest, fetch_page

_WITH_CONNECTORS = selectinload(Charger.connectors)


def list_chargers(
    session: Session,
    page: PageRequest,
    *,
    status: str | None = None,
    registration_status: str | None = None,
    search: str | None = None,
) -> Page:
    """Chargers by name; `search` matches a substring of the name or location, any case."""
    statement = select(Charger).options(_WITH_CONNECTORS).order_by(Charger.name)
    if status is not None:
        statement = statement.where(Charger.status == status)
    if registration_status is not None:
        statement = statement.where(Charger.registration_status == registration_status)
    if search:
        statement = statement.where(
            or_(
                Charger.name.icontains(search, autoescape=True),
                Charger.location.icontains(search, autoescape=True),
            )
        )
    return fetch_page(session, statement, page)


def connected_chargers(session: Session) -> list[Charger]:
    """Every charger whose socket is open, by name."""
    statement = (
        select(Charger)
        .options(_WITH_CONNECTORS)
        .where(Charger.status == ChargerStatus.CONNECTED)
        .order_by(Charger.name)
    )
    return list(session.scalars(statement))


def charger_detail(session: Session, name: str) -> Charger:
    """The charger called `name` with its connectors; raises NotFound."""
    charger = session.scalar(select(Charger).options(_WITH_CONNECTORS).where(Charger.name == name))
    if charger is None:
        raise NotFound(f"charger {name!r} not found")
    return charger
