"""Connectors across chargers, filtered by charger and state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from domain.errors import NotFound
from domain.models import Charger, Connector
from domain.queries.paging import Page, PageRequest, fetch_page


def _connectors_with_charger():
    return (
        select(Connector)
        .join(Connector.charger)
        .options(contains_eager(Connector.charger))
        .order_by(Charger.name, Connector.connector_id)
    )


def list_connectors(
    session: Session,
    page: PageRequest,
    *,
    charger: str | None = None,
    status: str | None = None,
    ocpp_status: str | None = None,
) -> Page:
    """Connectors by charger name then connector id; `status` is the seed's word
    (AVAILABLE/OCCUPIED/FAULTY), `ocpp_status` the charger's own."""
    statement = _connectors_with_charger()
    if charger is not None:
        statement = statement.where(Charger.name == charger)
    if status is not None:
        statement = statement.where(Connector.status == status)
    if ocpp_status is not None:
        statement = statement.where(Connector.ocpp_status == ocpp_status)
    return fetch_page(session, statement, page)


def connector_detail(session: Session, charger: str, connector_id: int) -> Connector:
    """Connector `connector_id` of charger `charger`; raises NotFound."""
    connector = session.scalar(
        _connectors_with_charger().where(
            Charger.name == charger, Connector.connector_id == connector_id
        )
    )
    if connector is None:
        raise NotFound(f"charger {charger!r} has no connector {connector_id}")
    return connector
