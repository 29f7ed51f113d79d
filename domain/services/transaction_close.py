"""Closing a transaction: what a StopTransaction does to a known transaction (close it, or
replace reconciliation's estimate) and how a stop of an unknown one is kept. Core
statements, no rows loaded; nothing committed (the caller owns the unit of work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.db import statement_connection
from domain.models import (
    Charger,
    ChargerEvent,
    Connector,
    ConnectorStatus,
    StatusLog,
    Transaction,
    TransactionStatus,
)
from domain.services.meter_values import record_meter_values
from domain.services.notifications import record_charger_event
from domain.services.outbox import enqueue_task

FINALIZE_SESSION = "finalize_session"
UNKNOWN_TRANSACTION = "UnknownTransaction"

_TRANSACTIONS = Transaction.__table__
_CONNECTORS = Connector.__table__

# Built once: every StopTransaction runs them.
_TO_STOP = (
    select(
        _TRANSACTIONS.c.id,
        _TRANSACTIONS.c.connector_id,
        _TRANSACTIONS.c.status,
        _TRANSACTIONS.c.stop_reason,
        _TRANSACTIONS.c.meter_stop,
        _CONNECTORS.c.connector_id.label("connector_number"),
    )
    .join(_CONNECTORS, _CONNECTORS.c.id == _TRANSACTIONS.c.connector_id)
    .where(
        _TRANSACTIONS.c.id == bindparam("b_transaction"),
        _TRANSACTIONS.c.charger_id == bindparam("b_charger"),
    )
)
_STOP_COLUMNS = {
    _TRANSACTIONS.c.end_time: bindparam("b_end_time"),
    _TRANSACTIONS.c.meter_stop: bindparam("b_meter_stop"),
    _TRANSACTIONS.c.stop_reason: bindparam("b_stop_reason"),
    _TRANSACTIONS.c.stop_id_tag: bindparam("b_stop_id_tag"),
    _TRANSACTIONS.c.status: TransactionStatus.COMPLETED,
}
_COMPLETE = (
    update(_TRANSACTIONS)
    .where(_TRANSACTIONS.c.id == bindparam("b_transaction"))
    .values(_STOP_COLUMNS)
)
# A StopTransaction's common case in one statement: the charger's transaction, if Active,
# completed, with what the rest of the stop needs.
_COMPLETE_ACTIVE = (
    update(_TRANSACTIONS)
    .where(
        _TRANSACTIONS.c.id == bindparam("b_transaction"),
        _TRANSACTIONS.c.charger_id == bindparam("b_charger"),
        _TRANSACTIONS.c.status == TransactionStatus.ACTIVE,
    )
    .values(_STOP_COLUMNS)
    .returning(
        _TRANSACTIONS.c.id,
        _TRANSACTIONS.c.connector_id,
        select(_CONNECTORS.c.connector_id)
        .where(_CONNECTORS.c.id == _TRANSACTIONS.c.connector_id)
        .scalar_subquery()
        .label("connector_number"),
    )
)
# Free the connector unless another transaction still runs there.
_FREE = (
    update(_CONNECTORS)
    .where(
        _CONNECTORS.c.id == bindparam("b_connector"),
        _CONNECTORS.c.status == ConnectorStatus.OCCUPIED,
        ~select(_TRANSACTIONS.c.id)
        .where(
            _TRANSACTIONS.c.connector_id == bindparam("b_connector"),
            _TRANSACTIONS.c.status == TransactionStatus.ACTIVE,
            _TRANSACTIONS.c.id != bindparam("b_transaction"),
        )
        .exists(),
    )
    .values({_CONNECTORS.c.status: ConnectorStatus.AVAILABLE})
)


def transaction_to_stop(session: Session, charger: Charger, transaction_id: int) -> Row | None:
    """The charger's transaction with what a stop needs, or None when it does not know it."""
    found = {"b_transaction": transaction_id, "b_charger": charger.id}
    return statement_connection(session).execute(_TO_STOP, found).first()


def stop_known(
    session: Session,
    charger: Charger,
    transaction_id: int,
    stopped: Stop,
    transaction_data: list[dict[str, Any]],
) -> bool:
    """Close the charger's active transaction `transaction_id`, or replace reconciliation's
    estimate; a retry of a stop already recorded changes nothing. The samples are stored
    linked to it either way. False (nothing written) when the charger has no such
    transaction. The common case, an active transaction, is closed by its first statement."""
    params = {**_stop_values(stopped), "b_transaction": transaction_id, "b_charger": charger.id}
    transaction = statement_connection(session).execute(_COMPLETE_ACTIVE, params).first()
    if transaction is not None:
        _after_close(session, transaction)
    else:
        transaction = transaction_to_stop(session, charger, transaction_id)
        if transaction is None:
            return False
        if transaction.status == TransactionStatus.FAILED:
            _replace_reconciled_close(session, charger, transaction, stopped)
    record_meter_values(
        session,
        charger,
        connector_id=transaction.connector_number,
        ocpp_transaction_id=transaction.id,
        meter_values=transaction_data,
        linked=(transaction.id, transaction.connector_id),
    )
    return True


@dataclass(frozen=True)
class Stop:
    meter_stop: int
    timestamp: datetime
    reason: str | None
    id_tag: str | None


def _stop_values(stop: Stop) -> dict[str, Any]:
    return {
        "b_end_time": stop.timestamp,
        "b_meter_stop": stop.meter_stop,
        "b_stop_reason": stop.reason or "Local",
        "b_stop_id_tag": stop.id_tag,
    }


def close_transaction(
    session: Session,
    transaction: Row,
    stop: Stop,
    *,
    dedupe_suffix: str = "",
    also: dict | None = None,
) -> None:
    """Complete `transaction` (and set the `also` columns), free its connector unless another
    transaction still runs there, enqueue its finalisation: Core statements, no rows loaded."""
    completed = {**_stop_values(stop), "b_transaction": transaction.id}
    statement_connection(session).execute(_COMPLETE.values(also) if also else _COMPLETE, completed)
    _after_close(session, transaction, dedupe_suffix)


def _after_close(session: Session, transaction: Row, dedupe_suffix: str = "") -> None:
    """A completed transaction frees its connector unless another transaction still runs
    there, and its finalisation is enqueued."""
    freed = {"b_transaction": transaction.id, "b_connector": transaction.connector_id}
    statement_connection(session).execute(_FREE, freed)
    enqueue_task(
        session,
        FINALIZE_SESSION,
        f"{transaction.id}{dedupe_suffix}",
        transaction_id=transaction.id,
    )


def _replace_reconciled_close(
    session: Session, charger: Charger, transaction: Row, stop: Stop
) -> None:
    """The charger's own stop outranks the estimate reconciliation closed the session with.

    Only the central system closes a session as Failed (power loss, reboot, overdue), at the
    last meter value it knew; a StopTransaction arriving later (replayed after a reboot) holds
    the real reading, so it replaces that estimate and the energy is computed again.
    """
    previous = f"{transaction.stop_reason} at {transaction.meter_stop} Wh"
    close_transaction(
        session,
        transaction,
        stop,
        dedupe_suffix=":late-stop",
        also={
            _TRANSACTIONS.c.finalized_at: None,
            _TRANSACTIONS.c.energy_consumed_kWh: None,
            _TRANSACTIONS.c.anomaly: None,
        },
    )
    session.add(
        StatusLog(
            charger_id=charger.id,
            connector_id=transaction.connector_number,
            timestamp=utcnow(),
            status="LateStopTransaction",
            message=(
                f"transaction {transaction.id}: the charger's StopTransaction "
                f"({stop.meter_stop} Wh) replaced the reconciled close ({previous})"
            ),
        )
    )


def record_unknown_stop(
    session: Session, charger: Charger, stop: dict[str, Any], now: datetime
) -> None:
    """Keep a stop we cannot match as a ChargerEvent, once per identical stop."""
    earlier = session.scalars(
        select(ChargerEvent.payload).where(
            ChargerEvent.charger_id == charger.id,
            ChargerEvent.action == Action.stop_transaction,
            ChargerEvent.status == UNKNOWN_TRANSACTION,
        )
    )
    if stop not in earlier:
        record_charger_event(
            session, charger, Action.stop_transaction, stop, now, UNKNOWN_TRANSACTION
        )
