"""Charging sessions and their meter values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from domain.errors import NotFound
from domain.models import Charger, Connector, MeterValue, Transaction
from domain.queries.paging import Page, PageRequest, fetch_page, within


def _transactions_with_place():
    return (
        select(Transaction)
        .join(Transaction.charger)
        .join(Transaction.connector)
        .options(contains_eager(Transaction.charger), contains_eager(Transaction.connector))
    )


def list_transactions(
    session: Session,
    page: PageRequest,
    *,
    charger: str | None = None,
    connector: int | None = None,
    status: str | None = None,
    id_tag: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Newest first. `connector` is the OCPP connector id (needs no charger), `id_tag`
    compares without case (OCPP idTags are CiString20), since/until bound the start time."""
    statement = _transactions_with_place().order_by(Transaction.id.desc())
    if charger is not None:
        statement = statement.where(Charger.name == charger)
    if connector is not None:
        statement = statement.where(Connector.connector_id == connector)
    if status is not None:
        statement = statement.where(Transaction.status == status)
    if id_tag is not None:
        statement = statement.where(func.lower(Transaction.id_tag) == id_tag.lower())
    statement = within(statement, Transaction.start_time, since, until)
    return fetch_page(session, statement, page)


def transaction_detail(session: Session, transaction_id: int) -> Transaction:
    """The transaction with this OCPP transactionId; raises NotFound."""
    transaction = session.scalar(_transactions_with_place().where(Transaction.id == transaction_id))
    if transaction is None:
        raise NotFound(f"transaction {transaction_id} not found")
    return transaction


def list_meter_values(
    session: Session,
    page: PageRequest,
    *,
    transaction_id: int,
    measurand: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """A transaction's sampled values in time order; raises NotFound for no such transaction."""
    if session.get(Transaction, transaction_id) is None:
        raise NotFound(f"transaction {transaction_id} not found")
    statement = (
        select(MeterValue)
        .where(MeterValue.transaction_id == transaction_id)
        .order_by(MeterValue.timestamp, MeterValue.id)
    )
    if measurand is not None:
        statement = statement.where(MeterValue.measurand == measurand)
    statement = within(statement, MeterValue.timestamp, since, until)
    return fetch_page(session, statement, page)
