"""Meter health: energy register readings that go backwards or jump beyond any charger's power,
and sessions finalize_session flagged."""

from __future__ import annotations

from datetime import datetime

from ocpp.v16.enums import Measurand
from sqlalchemy import func, select

from domain.models import MeterValue, Transaction
from domain.services.sessions import MAX_PLAUSIBLE_KW, register_wh


def restricted(statement, column, ids: list[int] | None):
    """`statement` limited to rows whose `column` is in `ids` (all rows when None)."""
    return statement if ids is None else statement.where(column.in_(ids))


def meter_readings(session, figures, ids, since, until) -> None:
    """Energy register samples that go backwards, or forwards faster than any charger can."""
    statement = (
        select(
            MeterValue.charger_id,
            MeterValue.transaction_id,
            MeterValue.timestamp,
            MeterValue.value,
            MeterValue.unit,
        )
        .where(
            MeterValue.timestamp >= since,
            MeterValue.timestamp < until,
            MeterValue.transaction_id.is_not(None),
            MeterValue.measurand == Measurand.energy_active_import_register.value,
            MeterValue.phase.is_(None),
        )
        .order_by(MeterValue.transaction_id, MeterValue.timestamp, MeterValue.id)
    )
    previous: dict[int, tuple[datetime, float]] = {}
    for charger_id, transaction_id, at, value, unit in session.execute(
        restricted(statement, MeterValue.charger_id, ids)
    ):
        wh = register_wh(value, unit)
        if wh is None or charger_id not in figures:
            continue
        before = previous.get(transaction_id)
        previous[transaction_id] = (at, wh)
        if before is None:
            continue
        hours = (at - before[0]).total_seconds() / 3600
        if wh < before[1]:
            figures[charger_id].backwards_readings += 1
        elif hours >= 1 / 60 and (wh - before[1]) / 1000 / hours > MAX_PLAUSIBLE_KW:
            figures[charger_id].implausible_readings += 1


def flagged_transactions(session, figures, ids, since, until) -> None:
    statement = (
        select(Transaction.charger_id, func.count())
        .where(
            Transaction.anomaly.is_not(None),
            Transaction.finalized_at >= since,
            Transaction.finalized_at < until,
        )
        .group_by(Transaction.charger_id)
    )
    for charger_id, count in session.execute(restricted(statement, Transaction.charger_id, ids)):
        if charger_id in figures:
            figures[charger_id].flagged_transactions = count
