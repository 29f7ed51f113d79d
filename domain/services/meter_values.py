"""Meter readings from MeterValues and StopTransaction.transactionData, each stored once."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Location, Measurand, ReadingContext, UnitOfMeasure, ValueFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp
from domain.models import Charger, Connector, MeterValue, Transaction
from domain.services.chargers import ensure_connector

# What an omitted optional field means (OCPP 1.6 section 7.45, SampledValue).
DEFAULTS = {
    "context": ReadingContext.sample_periodic.value,
    "format": ValueFormat.raw.value,
    "measurand": Measurand.energy_active_import_register.value,
    "location": Location.outlet.value,
    "unit": UnitOfMeasure.wh.value,
}


def sample_key(
    connector_id: int | None, transaction_id: int | None, timestamp: datetime, sample: dict
) -> str:
    """A stable hash of what identifies one sampled value: where, when, what and the
    reading itself, with spec defaults filled in so an omitted default hashes the same."""
    identity = [
        connector_id,
        transaction_id,
        timestamp.isoformat(),
        sample["value"],
        *(sample.get(field) or default for field, default in sorted(DEFAULTS.items())),
        sample.get("phase"),
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def record_meter_values(
    session: Session,
    charger: Charger,
    *,
    connector_id: int | None,
    ocpp_transaction_id: int | None,
    meter_values: list[dict[str, Any]],
    transaction: Transaction | None = None,
) -> int:
    """Store every sampled value not stored before for this charger; returns how many
    were new (flushed). `connector_id` is the OCPP number (0 = the charger itself); the
    rows link to `transaction`, or to the charger's transaction `ocpp_transaction_id` when
    it exists. A retried message stores nothing twice."""
    if transaction is None and ocpp_transaction_id is not None:
        found = session.get(Transaction, ocpp_transaction_id)
        transaction = found if found is not None and found.charger_id == charger.id else None
    connector: Connector | None = None
    if connector_id:
        connector = ensure_connector(session, charger, connector_id)
    elif transaction is not None:
        connector = transaction.connector
    rows: dict[str, MeterValue] = {}
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            key = sample_key(connector_id, ocpp_transaction_id, timestamp, sample)
            rows[key] = MeterValue(
                charger_id=charger.id,
                connector_id=connector.id if connector else None,
                transaction_id=transaction.id if transaction else None,
                ocpp_transaction_id=ocpp_transaction_id,
                timestamp=timestamp,
                measurand=sample.get("measurand") or DEFAULTS["measurand"],
                phase=sample.get("phase"),
                unit=sample.get("unit") or DEFAULTS["unit"],
                context=sample.get("context") or DEFAULTS["context"],
                location=sample.get("location") or DEFAULTS["location"],
                format=sample.get("format") or DEFAULTS["format"],
                value=sample["value"],
                sample_key=key,
            )
    if not rows:
        return 0
    stored = set(
        session.scalars(
            select(MeterValue.sample_key).where(
                MeterValue.charger_id == charger.id, MeterValue.sample_key.in_(list(rows))
            )
        )
    )
    new = [row for key, row in rows.items() if key not in stored]
    session.add_all(new)
    session.flush()
    return len(new)
