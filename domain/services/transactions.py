"""Charging sessions: StartTransaction and StopTransaction, both safe to retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from domain.clock import to_wire
from domain.db import statement_connection
from domain.models import (
    Charger,
    Connector,
    ConnectorStatus,
    Transaction,
    TransactionStatus,
)
from domain.services.authorize import id_tag_info
from domain.services.chargers import connector_pk
from domain.services.command_effects import (
    REMOTE_START_ASKED,
    mark_if_remote_started,
    remote_start_window,
)
from domain.services.insert_once import insert_once
from domain.services.meter_values import record_meter_values
from domain.services.reconciliation import settle_connector
from domain.services.reservations import use_reservation
from domain.services.transaction_close import (
    Stop,
    record_unknown_stop,
    stop_known,
)

_CONNECTORS = Connector.__table__
_TRANSACTIONS = Transaction.__table__
_START_KEY = (_TRANSACTIONS.c.connector_id, _TRANSACTIONS.c.id_tag, _TRANSACTIONS.c.start_time)
# Built once (a statement built per call costs more CPU than its round trip).
_STARTED_BEFORE = select(_TRANSACTIONS.c.id).where(
    *(column == bindparam(column.name) for column in _START_KEY)
)
# The connector becomes OCCUPIED; whether another Active transaction is on it, and whether
# a RemoteStartTransaction this one may answer was sent, ride along.
_OCCUPY = (
    update(_CONNECTORS)
    .where(_CONNECTORS.c.id == bindparam("b_connector"))
    .values({_CONNECTORS.c.status: ConnectorStatus.OCCUPIED})
    .returning(
        select(_TRANSACTIONS.c.id)
        .where(
            _TRANSACTIONS.c.connector_id == bindparam("b_connector"),
            _TRANSACTIONS.c.status == TransactionStatus.ACTIVE,
            _TRANSACTIONS.c.id != bindparam("b_transaction"),
        )
        .exists()
        .label("crowded"),
        REMOTE_START_ASKED.label("remote_start_asked"),
    )
)


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
    An Active session still open on the connector is closed first (see `settle_connector`),
    so the idTagInfo says ConcurrentTx only for a tag charging on another connector.
    The reservation it names, if the charger has it Active, is used up. The connector
    becomes OCCUPIED.
    """
    connector = connector_pk(session, charger, connector_id)
    transaction_id, replayed = _insert_once(
        session, charger, connector, id_tag, meter_start, timestamp, reservation_id
    )
    if not replayed:
        _occupy(session, charger, connector, connector_id, transaction_id, id_tag, now)
        if reservation_id is not None:
            use_reservation(session, charger.id, reservation_id, timestamp)
    info = id_tag_info(session, charger, id_tag, now, except_transaction=transaction_id)
    return StartedTransaction(transaction_id, info)


def _insert_once(
    session: Session,
    charger: Charger,
    connector: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime,
    reservation_id: int | None,
) -> tuple[int, bool]:
    """The new transaction's id, or a retry's existing one; True when it already existed."""
    key = {"connector_id": connector, "id_tag": id_tag, "start_time": timestamp}
    row = {
        **key,
        "charger_id": charger.id,
        "meter_start": meter_start,
        "reservation_id": reservation_id,
        "status": TransactionStatus.ACTIVE,
    }
    transaction_id = insert_once(
        session, _TRANSACTIONS, _START_KEY, _TRANSACTIONS.c.id, row
    ).scalar()
    replayed = transaction_id is None
    if replayed:
        # A retry, or the same start committed concurrently: answer with that transaction.
        transaction_id = statement_connection(session).execute(_STARTED_BEFORE, key).scalar()
    return transaction_id, replayed


def _occupy(
    session: Session,
    charger: Charger,
    connector: int,
    connector_id: int,
    transaction_id: int,
    id_tag: str,
    now: datetime,
) -> None:
    """A new transaction occupies its connector and may answer a RemoteStartTransaction.

    An Active session still open on the connector lost its StopTransaction: it cannot still
    be charging, so it is closed first and its idTag no longer counts as charging elsewhere.
    Whether there is one, and whether a RemoteStartTransaction was sent that this start may
    answer, ride along with the connector's update.
    """
    occupied = (
        statement_connection(session)
        .execute(
            _OCCUPY,
            {
                "b_connector": connector,
                "b_transaction": transaction_id,
                "b_charger": charger.id,
                "b_since": remote_start_window(now),
            },
        )
        .one()  # the connector exists: the transaction just inserted references it
    )
    if occupied.crowded:
        settle_connector(session, session.get(Transaction, transaction_id), now)
    if occupied.remote_start_asked:
        mark_if_remote_started(
            session,
            transaction_id,
            charger_id=charger.id,
            id_tag=id_tag,
            connector_id=connector_id,
            now=now,
        )


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
    stopped = Stop(meter_stop, timestamp, reason, id_tag)
    if not stop_known(session, charger, transaction_id, stopped, transaction_data):
        stop = {
            "transactionId": transaction_id,
            "meterStop": meter_stop,
            "timestamp": to_wire(timestamp),
            "reason": reason,
            "idTag": id_tag,
        }
        record_unknown_stop(session, charger, stop, now)
        record_meter_values(
            session,
            charger,
            connector_id=None,
            ocpp_transaction_id=transaction_id,
            meter_values=transaction_data,
        )
    if id_tag is None:
        return None
    return id_tag_info(session, charger, id_tag, now, check_concurrent=False)
