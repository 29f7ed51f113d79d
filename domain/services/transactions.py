"""Charging sessions: StartTransaction and StopTransaction, both safe to retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action
from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from domain.clock import to_wire, utcnow
from domain.models import (
    Charger,
    ChargerEvent,
    Connector,
    ConnectorStatus,
    StatusLog,
    Transaction,
    TransactionStatus,
)
from domain.services.authorize import id_tag_info
from domain.services.chargers import connector_pk
from domain.services.command_effects import mark_if_remote_started
from domain.services.insert_once import insert_once
from domain.services.meter_values import record_meter_values
from domain.services.notifications import record_charger_event
from domain.services.outbox import enqueue_task

FINALIZE_SESSION = "finalize_session"
UNKNOWN_TRANSACTION = "UnknownTransaction"

_TRANSACTIONS = Transaction.__table__
_CONNECTORS = Connector.__table__


@dataclass(frozen=True)
class StartedTransaction:
    transaction_id: int
    id_tag_info: dict[str, Any]


def start_transaction(
    session: Session,
    charger: Charger,
    *,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime,
    reservation_id: int | None,
    now: datetime,
) -> StartedTransaction:
    """Open a transaction (written in the session's transaction; the caller commits before
    answering).

    The row is always created, whatever the tag's status: the charger may already be
    charging and the idTagInfo tells it whether to go on. The same connector, idTag and
    start timestamp again (a retry) returns the existing transaction instead of a new one.
    The connector becomes OCCUPIED.
    """
    connector = connector_pk(session, charger, connector_id)
    transaction_id = session.scalar(
        insert_once(
            session,
            Transaction,
            Transaction.connector_id,
            Transaction.id_tag,
            Transaction.start_time,
        )
        .values(
            charger_id=charger.id,
            connector_id=connector,
            id_tag=id_tag,
            start_time=timestamp,
            meter_start=meter_start,
            reservation_id=reservation_id,
            status=TransactionStatus.ACTIVE,
        )
        .returning(Transaction.id)
    )
    replayed = transaction_id is None
    if replayed:
        # A retry, or the same start committed concurrently: answer with that transaction.
        transaction_id = session.scalar(
            select(Transaction.id).where(
                Transaction.connector_id == connector,
                Transaction.id_tag == id_tag,
                Transaction.start_time == timestamp,
            )
        )
    info = id_tag_info(session, charger, id_tag, now, except_transaction=transaction_id)
    if not replayed:
        session.execute(
            update(_CONNECTORS)
            .where(_CONNECTORS.c.id == connector)
            .values({_CONNECTORS.c.status: ConnectorStatus.OCCUPIED})
        )
        mark_if_remote_started(
            session,
            transaction_id,
            charger_id=charger.id,
            id_tag=id_tag,
            connector_id=connector_id,
            now=now,
        )
    return StartedTransaction(transaction_id, info)


def stop_transaction(
    session: Session,
    charger: Charger,
    *,
    transaction_id: int,
    meter_stop: int,
    timestamp: datetime,
    reason: str | None,
    id_tag: str | None,
    transaction_data: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any] | None:
    """Close the charger's transaction `transaction_id` (written, not committed).

    Stores meterStop, the stop time, reason ("Local" when omitted, as 1.6 defines), the
    stopping idTag and every transactionData sample; frees the connector; enqueues
    `finalize_session` for after the commit. A retry changes nothing. An unknown
    transactionId is never refused: the stop is kept as a ChargerEvent and its samples
    stored unlinked. Returns the idTagInfo for `id_tag`, or None without one.
    """
    transaction = session.execute(
        select(
            _TRANSACTIONS.c.id,
            _TRANSACTIONS.c.connector_id,
            _TRANSACTIONS.c.status,
            _TRANSACTIONS.c.stop_reason,
            _TRANSACTIONS.c.meter_stop,
            _CONNECTORS.c.connector_id.label("connector_number"),
        )
        .join(_CONNECTORS, _CONNECTORS.c.id == _TRANSACTIONS.c.connector_id)
        .where(_TRANSACTIONS.c.id == transaction_id, _TRANSACTIONS.c.charger_id == charger.id)
    ).first()
    if transaction is None:
        stop = {
            "transactionId": transaction_id,
            "meterStop": meter_stop,
            "timestamp": to_wire(timestamp),
            "reason": reason,
            "idTag": id_tag,
        }
        _record_unknown_stop(session, charger, stop, now)
        record_meter_values(
            session,
            charger,
            connector_id=None,
            ocpp_transaction_id=transaction_id,
            meter_values=transaction_data,
        )
    else:
        stopped = _Stop(meter_stop, timestamp, reason, id_tag)
        if transaction.status == TransactionStatus.ACTIVE:
            _close(session, transaction, stopped)
        elif transaction.status == TransactionStatus.FAILED:
            _replace_reconciled_close(session, charger, transaction, stopped)
        record_meter_values(
            session,
            charger,
            connector_id=transaction.connector_number,
            ocpp_transaction_id=transaction.id,
            meter_values=transaction_data,
            linked=(transaction.id, transaction.connector_id),
        )
    if id_tag is None:
        return None
    return id_tag_info(session, charger, id_tag, now, check_concurrent=False)


@dataclass(frozen=True)
class _Stop:
    meter_stop: int
    timestamp: datetime
    reason: str | None
    id_tag: str | None


def _close(
    session: Session,
    transaction: Row,
    stop: _Stop,
    *,
    dedupe_suffix: str = "",
    also: dict | None = None,
) -> None:
    """Complete `transaction` (and set the `also` columns), free its connector unless another
    transaction still runs there, enqueue its finalisation: Core statements, no rows loaded."""
    session.execute(
        update(_TRANSACTIONS)
        .where(_TRANSACTIONS.c.id == transaction.id)
        .values(
            {
                _TRANSACTIONS.c.end_time: stop.timestamp,
                _TRANSACTIONS.c.meter_stop: stop.meter_stop,
                _TRANSACTIONS.c.stop_reason: stop.reason or "Local",
                _TRANSACTIONS.c.stop_id_tag: stop.id_tag,
                _TRANSACTIONS.c.status: TransactionStatus.COMPLETED,
                **(also or {}),
            }
        )
    )
    still_busy = (
        select(_TRANSACTIONS.c.id)
        .where(
            _TRANSACTIONS.c.connector_id == transaction.connector_id,
            _TRANSACTIONS.c.status == TransactionStatus.ACTIVE,
            _TRANSACTIONS.c.id != transaction.id,
        )
        .exists()
    )
    session.execute(
        update(_CONNECTORS)
        .where(
            _CONNECTORS.c.id == transaction.connector_id,
            _CONNECTORS.c.status == ConnectorStatus.OCCUPIED,
            ~still_busy,
        )
        .values({_CONNECTORS.c.status: ConnectorStatus.AVAILABLE})
    )
    enqueue_task(
        session,
        FINALIZE_SESSION,
        f"{transaction.id}{dedupe_suffix}",
        transaction_id=transaction.id,
    )


def _replace_reconciled_close(
    session: Session, charger: Charger, transaction: Row, stop: _Stop
) -> None:
    """The charger's own stop outranks the estimate reconciliation closed the session with.

    Only the central system closes a session as Failed (power loss, reboot, overdue), at the
    last meter value it knew; a StopTransaction arriving later (replayed after a reboot) holds
    the real reading, so it replaces that estimate and the energy is computed again.
    """
    previous = f"{transaction.stop_reason} at {transaction.meter_stop} Wh"
    _close(
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


def _record_unknown_stop(
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
