"""Charging sessions: StartTransaction and StopTransaction, both safe to retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

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
from domain.services.chargers import ensure_connector
from domain.services.command_effects import mark_if_remote_started
from domain.services.insert_once import insert_once
from domain.services.meter_values import record_meter_values
from domain.services.notifications import record_charger_event
from domain.services.outbox import enqueue_task

FINALIZE_SESSION = "finalize_session"
UNKNOWN_TRANSACTION = "UnknownTransaction"


@dataclass(frozen=True)
class StartedTransaction:
    transaction_id: int
    id_tag_info: dict[str, Any]
    replayed: bool


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
    """Open a transaction (flushed; the caller commits before answering).

    The row is always created, whatever the tag's status: the charger may already be
    charging and the idTagInfo tells it whether to go on. The same connector, idTag and
    start timestamp again (a retry) returns the existing transaction instead of a new one.
    The connector becomes OCCUPIED.
    """
    connector = ensure_connector(session, charger, connector_id)
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
            connector_id=connector.id,
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
                Transaction.connector_id == connector.id,
                Transaction.id_tag == id_tag,
                Transaction.start_time == timestamp,
            )
        )
    info = id_tag_info(session, charger, id_tag, now, except_transaction=transaction_id)
    if not replayed:
        connector.status = ConnectorStatus.OCCUPIED
        mark_if_remote_started(
            session,
            transaction_id,
            charger_id=charger.id,
            id_tag=id_tag,
            connector_id=connector_id,
            now=now,
        )
    return StartedTransaction(transaction_id, info, replayed=replayed)


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
    """Close the charger's transaction `transaction_id` (flushed; caller commits).

    Stores meterStop, the stop time, reason ("Local" when omitted, as 1.6 defines), the
    stopping idTag and every transactionData sample; frees the connector; enqueues
    `finalize_session` for after the commit. A retry changes nothing. An unknown
    transactionId is never refused: the stop is kept as a ChargerEvent and its samples
    stored unlinked. Returns the idTagInfo for `id_tag`, or None without one.
    """
    transaction = session.get(
        Transaction, transaction_id, options=[joinedload(Transaction.connector)]
    )
    if transaction is None or transaction.charger_id != charger.id:
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
        if transaction.status == TransactionStatus.ACTIVE:
            _close(session, transaction, meter_stop, timestamp, reason, id_tag)
        elif transaction.status == TransactionStatus.FAILED:
            _replace_reconciled_close(session, transaction, meter_stop, timestamp, reason, id_tag)
        record_meter_values(
            session,
            charger,
            connector_id=transaction.connector.connector_id,
            ocpp_transaction_id=transaction.id,
            meter_values=transaction_data,
            transaction=transaction,
        )
    if id_tag is None:
        return None
    return id_tag_info(session, charger, id_tag, now, check_concurrent=False)


def _close(
    session: Session,
    transaction: Transaction,
    meter_stop: int,
    timestamp: datetime,
    reason: str | None,
    id_tag: str | None,
    dedupe_suffix: str = "",
) -> None:
    transaction.end_time = timestamp
    transaction.meter_stop = meter_stop
    transaction.stop_reason = reason or "Local"
    transaction.stop_id_tag = id_tag
    transaction.status = TransactionStatus.COMPLETED
    # Free the connector unless another transaction still runs there, in one statement.
    still_busy = (
        select(Transaction.id)
        .where(
            Transaction.connector_id == transaction.connector_id,
            Transaction.status == TransactionStatus.ACTIVE,
            Transaction.id != transaction.id,
        )
        .exists()
    )
    session.execute(
        update(Connector)
        .where(
            Connector.id == transaction.connector_id,
            Connector.status == ConnectorStatus.OCCUPIED,
            ~still_busy,
        )
        .values(status=ConnectorStatus.AVAILABLE)
        .execution_options(synchronize_session="fetch")
    )
    enqueue_task(
        session,
        FINALIZE_SESSION,
        f"{transaction.id}{dedupe_suffix}",
        transaction_id=transaction.id,
    )


def _replace_reconciled_close(
    session: Session,
    transaction: Transaction,
    meter_stop: int,
    timestamp: datetime,
    reason: str | None,
    id_tag: str | None,
) -> None:
    """The charger's own stop outranks the estimate reconciliation closed the session with.

    Only the central system closes a session as Failed (power loss, reboot, overdue), at the
    last meter value it knew; a StopTransaction arriving later (replayed after a reboot) holds
    the real reading, so it replaces that estimate and the energy is computed again.
    """
    previous = f"{transaction.stop_reason} at {transaction.meter_stop} Wh"
    transaction.finalized_at = None
    transaction.energy_consumed_kwh = None
    transaction.anomaly = None
    _close(session, transaction, meter_stop, timestamp, reason, id_tag, dedupe_suffix=":late-stop")
    session.add(
        StatusLog(
            charger_id=transaction.charger_id,
            connector_id=transaction.connector.connector_id,
            timestamp=utcnow(),
            status="LateStopTransaction",
            message=(
                f"transaction {transaction.id}: the charger's StopTransaction ({meter_stop} Wh) "
                f"replaced the reconciled close ({previous})"
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
