"""Chargers and sessions for task tests, built through the same services the socket uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.clock import to_wire
from domain.models import Charger, Transaction
from domain.services.chargers import create_charger
from domain.services.meter_values import record_meter_values
from domain.services.status import record_status_notification
from domain.services.transactions import start_transaction, stop_transaction

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def add_charger(session, name: str, connectors: tuple[int, ...] = (1,)) -> Charger:
    return create_charger(session, name, connector_ids=connectors)


def start(session, charger, *, at=T0, meter_start=0, tag="TAG-1", connector=1) -> int:
    started = start_transaction(
        session,
        charger,
        connector_id=connector,
        id_tag=tag,
        meter_start=meter_start,
        timestamp=at,
        reservation_id=None,
        now=at,
    )
    # The server received it when the charger stamped it (the row's default is the real now).
    session.get(Transaction, started.transaction_id).created_at = at
    return started.transaction_id


def stop(session, charger, transaction_id, *, meter_stop, at=T0 + timedelta(hours=1), data=()):
    stop_transaction(
        session,
        charger,
        transaction_id=transaction_id,
        meter_stop=meter_stop,
        timestamp=at,
        reason=None,
        id_tag=None,
        transaction_data=list(data),
        now=at,
    )


def register(at: datetime, value: str, *, unit="Wh", context="Sample.Periodic", **extra) -> dict:
    """One MeterValue entry with a single Energy.Active.Import.Register sample."""
    sampled = {"value": value, "unit": unit, "context": context, **extra}
    return {"timestamp": to_wire(at), "sampledValue": [sampled]}


def meter(session, charger, transaction_id, *entries: dict, connector=1) -> None:
    record_meter_values(
        session,
        charger,
        connector_id=connector,
        ocpp_transaction_id=transaction_id,
        meter_values=list(entries),
    )


def connector_status(session, charger, status: str, *, at: datetime, connector=1) -> None:
    record_status_notification(
        session,
        charger,
        connector_id=connector,
        status=status,
        error_code="NoError",
        info=None,
        vendor_id=None,
        vendor_error_code=None,
        timestamp=at,
        now=at,
    )
