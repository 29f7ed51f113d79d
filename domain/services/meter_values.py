"""Meter readings from MeterValues and StopTransaction.transactionData, each stored once."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Location, Measurand, ReadingContext, UnitOfMeasure, ValueFormat
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp
from domain.db import statement_connection
from domain.models import Charger, MeterValue, Transaction
from domain.services.chargers import connector_pk
from domain.services.insert_once import insert_once

# What an omitted optional field means (OCPP 1.6 section 7.45, SampledValue). The unit has
# a default only for energy: "Wh" if the (default) measurand is an "Energy" type.
DEFAULTS = {
    "context": ReadingContext.sample_periodic.value,
    "format": ValueFormat.raw.value,
    "measurand": Measurand.energy_active_import_register.value,
    "location": Location.outlet.value,
}
ENERGY_MEASURAND_PREFIX = "Energy."


def _filled_in(sample: dict) -> dict[str, str | None]:
    """The sample's context, format, location, measurand and unit, with 1.6's defaults for
    the omitted ones; a unit stays None where 1.6 defines no default (not energy)."""
    fields = {field: sample.get(field) or default for field, default in DEFAULTS.items()}
    unit = sample.get("unit")
    if unit is None and fields["measurand"].startswith(ENERGY_MEASURAND_PREFIX):
        unit = UnitOfMeasure.wh.value
    return {**fields, "unit": unit}


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
        *(value for _, value in sorted(_filled_in(sample).items())),
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
    linked: tuple[int, int] | None = None,
) -> int:
    """Store every sampled value not stored before for this charger (one INSERT that skips
    stored ones; not committed); returns how many were new. `connector_id` is the OCPP
    number (0 = the charger itself); the rows link to `linked` (the primary keys of the
    transaction and of its connector, when the caller has them), or else to the charger's
    transaction `ocpp_transaction_id` when it exists. A retried message stores nothing twice."""
    transaction_pk, connector = linked or (None, None)
    if linked is None and ocpp_transaction_id is not None:
        found = (
            statement_connection(session)
            .execute(_TRANSACTION, {"b_transaction": ocpp_transaction_id, "b_charger": charger.id})
            .first()
        )
        if found is not None:
            transaction_pk, connector = found
    if connector_id and linked is None:
        connector = connector_pk(session, charger, connector_id)
    rows: dict[str, dict[str, Any]] = {}
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            key = sample_key(connector_id, ocpp_transaction_id, timestamp, sample)
            rows[key] = {
                "charger_id": charger.id,
                "connector_id": connector,
                "transaction_id": transaction_pk,
                "ocpp_transaction_id": ocpp_transaction_id,
                "timestamp": timestamp,
                **_filled_in(sample),
                "phase": sample.get("phase"),
                "value": sample["value"],
                "sample_key": key,
            }
    if not rows:
        return 0
    stored = insert_once(
        session, _METER_VALUES, _SAMPLE_KEY, _METER_VALUES.c.id, list(rows.values())
    )
    return len(stored.all())


# Built once: every MeterValues runs them.
_TRANSACTION = select(Transaction.__table__.c.id, Transaction.__table__.c.connector_id).where(
    Transaction.__table__.c.id == bindparam("b_transaction"),
    Transaction.__table__.c.charger_id == bindparam("b_charger"),
)
_METER_VALUES = MeterValue.__table__
_SAMPLE_KEY = (_METER_VALUES.c.charger_id, _METER_VALUES.c.sample_key)
