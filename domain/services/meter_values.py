"""Meter readings from MeterValues and StopTransaction.transactionData, each stored once."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Location, Measurand, ReadingContext, UnitOfMeasure, ValueFormat
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp
from domain.models import Charger, Connector, MeterValue, Transaction
from domain.services.chargers import ensure_connector
from domain.services.insert_once import insert_once

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
    """Store every sampled value not stored before for this charger (one INSERT that skips
    stored ones; not committed); returns how many were new. `connector_id` is the OCPP
    number (0 = the charger itself); the rows link to `transaction`, or to the charger's
    transaction `ocpp_transaction_id` when it exists. A retried message stores nothing twice."""
    connector: Connector | None = None
    if transaction is not None and transaction.connector.connector_id == connector_id:
        connector = transaction.connector  # the caller's transaction, its connector loaded
    if transaction is None and ocpp_transaction_id is not None:
        found = session.get(Transaction, ocpp_transaction_id)
        transaction = found if found is not None and found.charger_id == charger.id else None
    if connector is None and connector_id:
        connector = ensure_connector(session, charger, connector_id)
    elif connector is None and transaction is not None:
        connector = transaction.connector
    rows: dict[str, dict[str, Any]] = {}
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            key = sample_key(connector_id, ocpp_transaction_id, timestamp, sample)
            rows[key] = {
                "charger_id": charger.id,
                "connector_id": connector.id if connector else None,
                "transaction_id": transaction.id if transaction else None,
                "ocpp_transaction_id": ocpp_transaction_id,
                "timestamp": timestamp,
                "measurand": sample.get("measurand") or DEFAULTS["measurand"],
                "phase": sample.get("phase"),
                "unit": sample.get("unit") or DEFAULTS["unit"],
                "context": sample.get("context") or DEFAULTS["context"],
                "location": sample.get("location") or DEFAULTS["location"],
                "format": sample.get("format") or DEFAULTS["format"],
                "value": sample["value"],
                "sample_key": key,
            }
    if not rows:
        return 0
    table = MeterValue.__table__
    stored = session.execute(
        insert_once(session, table, table.c.charger_id, table.c.sample_key).returning(table.c.id),
        list(rows.values()),
    )
    return len(stored.all())
