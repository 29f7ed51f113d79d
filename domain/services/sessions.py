"""Finalising a stopped charging session: energy from the meter, duration, Completed.

The energy is what the meter says and nothing else: meterStop − meterStart (Wh), cross-checked
with the session's Energy.Active.Import.Register samples. Readings that go backwards or are
beyond any charger's power are flagged on the transaction (`anomaly`) and kept as recorded;
the energy is then left empty rather than replaced by a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ocpp.v16.enums import Location, Measurand, ReadingContext, UnitOfMeasure
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from domain.clock import utcnow
from domain.errors import NotFound
from domain.models import MeterValue, StatusLog, Transaction, TransactionStatus

# No charger delivers more than this on average; a session above it has a broken reading.
MAX_PLAUSIBLE_KW = 1000.0
# Below a minute the clocks of charger and server are too coarse to judge a power.
MIN_PLAUSIBILITY_HOURS = 1 / 60
# Samples and registers may differ by rounding and by the instant they were taken.
MATCH_TOLERANCE_WH = 10.0
MATCH_TOLERANCE_SHARE = 0.01
WH_PER_UNIT = {UnitOfMeasure.wh.value: 1.0, UnitOfMeasure.kwh.value: 1000.0}
ANOMALY_LENGTH = 255


@dataclass(frozen=True)
class RegisterSample:
    """One Energy.Active.Import.Register reading, normalised to Wh."""

    timestamp: datetime
    wh: float
    context: str


@dataclass(frozen=True)
class EnergyReading:
    kwh: float | None
    anomalies: tuple[str, ...] = ()

    @property
    def anomaly(self) -> str | None:
        return "; ".join(self.anomalies)[:ANOMALY_LENGTH] if self.anomalies else None


@dataclass(frozen=True)
class FinalizeOutcome:
    transaction_id: int
    finalized: bool
    status: str
    energy_kwh: float | None
    anomaly: str | None
    duration_seconds: float | None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def measure_energy(
    meter_start: int,
    meter_stop: int | None,
    samples: Iterable[RegisterSample],
    start_time: datetime,
    end_time: datetime | None,
) -> EnergyReading:
    """The session's energy in kWh from its registers, checked against its samples.

    The register difference is the answer when it is plausible; a Transaction.End sample
    stands in for a missing meterStop. Backwards, absurd or missing readings give no number
    and say why; samples that disagree with the registers are noted but do not change it.
    """
    ordered = sorted(samples, key=lambda sample: sample.timestamp)
    notes: list[str] = []
    begin = _first(ordered, ReadingContext.transaction_begin)
    end = _last(ordered, ReadingContext.transaction_end)
    if begin is not None and not _close(begin.wh, meter_start, ordered):
        notes.append(f"meterStart {meter_start} Wh but Transaction.Begin sample {begin.wh:g} Wh")
    stop_wh: float | None = meter_stop
    if meter_stop is None:
        if end is None:
            return EnergyReading(None, (*notes, "no meterStop and no Transaction.End sample"))
        stop_wh = end.wh
        notes.append(f"meterStop missing; Transaction.End sample {end.wh:g} Wh used")
    elif end is not None and not _close(end.wh, meter_stop, ordered):
        notes.append(f"meterStop {meter_stop} Wh but Transaction.End sample {end.wh:g} Wh")
    if any(later.wh < earlier.wh for earlier, later in zip(ordered, ordered[1:], strict=False)):
        notes.append("energy register samples go backwards")
    if stop_wh < meter_start:
        return EnergyReading(
            None, (*notes, f"meter went backwards: start {meter_start} Wh, stop {stop_wh:g} Wh")
        )
    kwh = (stop_wh - meter_start) / 1000.0
    if end_time is not None and end_time < start_time:
        notes.append("session ends before it starts")
    hours = max((end_time - start_time).total_seconds() / 3600 if end_time else 0.0, 0.0)
    average_kw = kwh / max(hours, MIN_PLAUSIBILITY_HOURS)
    if average_kw > MAX_PLAUSIBLE_KW:
        return EnergyReading(
            None, (*notes, f"absurd reading: {kwh:g} kWh is {average_kw:.0f} kW on average")
        )
    return EnergyReading(round(kwh, 6), tuple(notes))


def register_samples(session: Session, transaction: Transaction) -> list[RegisterSample]:
    """The transaction's total (not per-phase) energy register readings at the outlet."""
    rows = session.scalars(
        select(MeterValue).where(
            MeterValue.charger_id == transaction.charger_id,
            or_(
                MeterValue.transaction_id == transaction.id,
                MeterValue.ocpp_transaction_id == transaction.id,
            ),
            MeterValue.measurand == Measurand.energy_active_import_register.value,
            MeterValue.phase.is_(None),
            or_(MeterValue.location.is_(None), MeterValue.location == Location.outlet.value),
        )
    )
    samples = []
    for row in rows:
        wh = register_wh(row.value, row.unit)
        if wh is not None:
            context = row.context or ReadingContext.sample_periodic.value
            samples.append(RegisterSample(row.timestamp, wh, context))
    return samples


def finalize_session(session: Session, transaction_id: int, now: datetime | None = None):
    """Compute and store the energy of a stopped session and mark it finalised (flushed).

    Active becomes Completed; a session reconciliation closed as Failed stays Failed. A
    session already finalised, or not stopped yet, is left alone (`finalized` False), so
    running this twice or concurrently changes the rows once. An anomaly also writes a
    StatusLog row. Raises NotFound for an unknown transaction id.
    """
    transaction = session.get(Transaction, transaction_id)
    if transaction is None:
        raise NotFound(
            f"transaction {transaction_id} does not exist", transaction_id=transaction_id
        )
    if transaction.finalized_at is not None or transaction.end_time is None:
        return _outcome(transaction, finalized=False)
    reading = measure_energy(
        transaction.meter_start,
        transaction.meter_stop,
        register_samples(session, transaction),
        transaction.start_time,
        transaction.end_time,
    )
    status = (
        TransactionStatus.COMPLETED
        if transaction.status == TransactionStatus.ACTIVE
        else transaction.status
    )
    # Conditional on not being finalised yet: of two concurrent runs exactly one writes.
    changed = session.execute(
        update(Transaction)
        .where(Transaction.id == transaction_id, Transaction.finalized_at.is_(None))
        .values(
            energy_consumed_kwh=reading.kwh,
            anomaly=reading.anomaly,
            status=status,
            finalized_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(transaction)
    if changed and reading.anomaly:
        session.add(
            StatusLog(
                charger_id=transaction.charger_id,
                connector_id=transaction.connector.connector_id,
                timestamp=now or utcnow(),
                status="SessionAnomaly",
                message=f"transaction {transaction.id}: {reading.anomaly}",
            )
        )
        session.flush()
    return _outcome(transaction, finalized=bool(changed))


def _outcome(transaction: Transaction, finalized: bool) -> FinalizeOutcome:
    duration = (
        (transaction.end_time - transaction.start_time).total_seconds()
        if transaction.end_time is not None
        else None
    )
    return FinalizeOutcome(
        transaction_id=transaction.id,
        finalized=finalized,
        status=transaction.status,
        energy_kwh=transaction.energy_consumed_kwh,
        anomaly=transaction.anomaly,
        duration_seconds=duration,
    )


def register_wh(value: str, unit: str | None) -> float | None:
    """An energy register reading in Wh; None when it is not a finite number in Wh or kWh."""
    factor = WH_PER_UNIT.get(unit or UnitOfMeasure.wh.value)
    try:
        number = float(value)
    except ValueError:
        return None  # SignedData or garbage: not a reading we can add up
    if factor is None or not math.isfinite(number):
        return None
    return number * factor


def _first(samples: list[RegisterSample], context: ReadingContext) -> RegisterSample | None:
    return next((sample for sample in samples if sample.context == context.value), None)


def _last(samples: list[RegisterSample], context: ReadingContext) -> RegisterSample | None:
    return _first(list(reversed(samples)), context)


def _close(sample_wh: float, register_wh: float, samples: list[RegisterSample]) -> bool:
    span = (samples[-1].wh - samples[0].wh) if samples else 0.0
    return abs(sample_wh - register_wh) <= max(MATCH_TOLERANCE_WH, MATCH_TOLERANCE_SHARE * span)
