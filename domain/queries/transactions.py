"""Charging sessions and their meter values."""

from __future__ import annotations

from datetime import datetime

from ocpp.v16.enums import Measurand
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from domain.errors import NotFound
from domain.models import Charger, Connector, MeterValue, Transaction, TransactionStatus
from domain.queries.paging import Page, PageRequest, fetch_page, within
from domain.services.sessions import register_wh

_TOTAL_REGISTER = (MeterValue.measurand == Measurand.energy_active_import_register.value) & (
    MeterValue.phase.is_(None)
)


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
    found = fetch_page(session, statement, page)
    with_energy_so_far(session, found.items)
    return found


def transaction_detail(session: Session, transaction_id: int) -> Transaction:
    """The transaction with this OCPP transactionId; raises NotFound."""
    transaction = session.scalar(_transactions_with_place().where(Transaction.id == transaction_id))
    if transaction is None:
        raise NotFound(f"transaction {transaction_id} not found")
    with_energy_so_far(session, [transaction])
    return transaction


def with_energy_so_far(session: Session, transactions: list[Transaction]) -> None:
    """Set `energy_so_far_kwh` on each transaction: an Active one's latest total energy
    register reading minus meterStart (0 before any reading), another's recorded energy."""
    active = [t.id for t in transactions if t.status == TransactionStatus.ACTIVE]
    latest = {}
    if active:
        newest = (
            select(MeterValue.transaction_id, func.max(MeterValue.timestamp).label("at"))
            .where(MeterValue.transaction_id.in_(active), _TOTAL_REGISTER)
            .group_by(MeterValue.transaction_id)
            .subquery()
        )
        rows = session.execute(
            select(MeterValue.transaction_id, MeterValue.value, MeterValue.unit)
            .join(
                newest,
                (MeterValue.transaction_id == newest.c.transaction_id)
                & (MeterValue.timestamp == newest.c.at),
            )
            .where(_TOTAL_REGISTER)
        )
        for transaction_id, value, unit in rows:
            wh = register_wh(value, unit)
            if wh is not None:
                latest[transaction_id] = wh
    for transaction in transactions:
        if transaction.status != TransactionStatus.ACTIVE:
            transaction.energy_so_far_kwh = transaction.energy_consumed_kwh
        elif transaction.id in latest:
            transaction.energy_so_far_kwh = round(
                max(0.0, latest[transaction.id] - transaction.meter_start) / 1000, 6
            )
        else:
            transaction.energy_so_far_kwh = 0.0


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


def energy_series(session: Session, transaction_id: int) -> list[dict]:
    """A transaction's energy (kWh since meterStart) at each total energy register reading,
    in time order, with the average power (kW) since the reading before (None for the first);
    raises NotFound for no such transaction."""
    transaction = session.get(Transaction, transaction_id)
    if transaction is None:
        raise NotFound(f"transaction {transaction_id} not found")
    rows = session.execute(
        select(MeterValue.timestamp, MeterValue.value, MeterValue.unit)
        .where(MeterValue.transaction_id == transaction_id, _TOTAL_REGISTER)
        .order_by(MeterValue.timestamp, MeterValue.id)
    )
    points: list[dict] = []
    for timestamp, value, unit in rows:
        wh = register_wh(value, unit)
        if wh is None:
            continue
        kwh = (wh - transaction.meter_start) / 1000
        power = None
        if points:
            hours = (timestamp - points[-1]["timestamp"]).total_seconds() / 3600
            power = round((kwh - points[-1]["energy_kwh"]) / hours, 3) if hours > 0 else None
        points.append({"timestamp": timestamp, "energy_kwh": round(kwh, 6), "power_kw": power})
    return points
