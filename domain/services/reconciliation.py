"""Reconciliation: sessions that can no longer end by themselves are closed, with reasons.

- Two Active transactions on one connector cannot both be charging: the older is a duplicate
  of the newer (same idTag and meterStart, started moments apart: a re-stamped retry), which is
  merged into it, or was superseded because its StopTransaction never came.
- An Active transaction whose charger booted again after it started (power loss, reset) and
  no longer reports the connector charging, or older than the maximum duration, is closed as
  Failed at its last known meter value.
- A stopped session that was never finalised (its task was lost) is finalised.

Every change writes a StatusLog row saying why, and is conditional on the row still being in
the state that called for it, so two reconcilers at once change each row once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ocpp.v16.enums import ChargePointStatus, Reason
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from domain.models import (
    Charger,
    Connector,
    MeterValue,
    StatusLog,
    Transaction,
    TransactionStatus,
)
from domain.services.sessions import finalize_session, register_samples

# A re-stamped retry of a StartTransaction arrives within this of the original.
DUPLICATE_WINDOW = timedelta(minutes=5)
STILL_CHARGING = (
    ChargePointStatus.charging.value,
    ChargePointStatus.suspended_ev.value,
    ChargePointStatus.suspended_evse.value,
)
# The normal path finalises a stopped session within seconds; give it this long first.
FINALIZE_GRACE = timedelta(minutes=1)


@dataclass
class ReconcileReport:
    merged: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    finalized: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"merged": self.merged, "closed": self.closed, "finalized": self.finalized}


def reconcile_transactions(
    session: Session,
    *,
    max_duration: timedelta,
    boot_grace: timedelta,
    now: datetime,
    limit: int = 500,
) -> ReconcileReport:
    """Merge duplicates, close stale Active sessions as Failed, finalise stopped sessions;
    returns the ids changed (flushed, not committed). At most `limit` of each kind per call.

    A charger's boot only closes its sessions once `boot_grace` has passed, so a
    StopTransaction it still had queued can arrive first.
    """
    report = ReconcileReport()
    _settle_shared_connectors(session, report, now)
    for transaction, reason, explanation in _stale_active(
        session, max_duration, boot_grace, now, limit
    ):
        if _close_failed(session, transaction, reason, explanation, now):
            report.closed.append(transaction.id)
    for transaction_id in _stopped_unfinalised(session, now, limit):
        if finalize_session(session, transaction_id, now).finalized:
            report.finalized.append(transaction_id)
    session.flush()
    return report


def _settle_shared_connectors(session: Session, report: ReconcileReport, now: datetime) -> None:
    crowded = (
        select(Transaction.connector_id)
        .where(_active())
        .group_by(Transaction.connector_id)
        .having(func.count() > 1)
    )
    for connector_id in session.scalars(crowded).all():
        survivor = session.scalars(
            select(Transaction)
            .where(_active(), Transaction.connector_id == connector_id)
            .order_by(Transaction.start_time.desc(), Transaction.id.desc())
            .limit(1)
        ).one()
        settle_connector(session, survivor, now, report)


def settle_connector(
    session: Session, survivor: Transaction, now: datetime, report: ReconcileReport | None = None
) -> ReconcileReport:
    """Leave `survivor` the only Active transaction on its connector (flushed, not committed).

    A connector charges one session at a time, so every other Active one there is either a
    re-stamped retry of the survivor's StartTransaction (merged into it) or a session whose
    StopTransaction never arrived: closed as Failed at its last reading before the survivor
    started, with a StatusLog row saying so. Returns the ids changed (added to `report`).
    """
    report = report if report is not None else ReconcileReport()
    older = session.scalars(
        select(Transaction)
        .where(
            _active(),
            Transaction.connector_id == survivor.connector_id,
            Transaction.id != survivor.id,
        )
        .order_by(Transaction.id)
    ).all()
    for transaction in older:
        if _is_duplicate(transaction, survivor):
            if _merge(session, transaction, survivor, now):
                report.merged.append(transaction.id)
        elif _close_failed(
            session,
            transaction,
            Reason.other,
            f"superseded by transaction {survivor.id} on the same connector "
            "(its StopTransaction never arrived)",
            now,
            until=survivor.start_time,
        ):
            report.closed.append(transaction.id)
    return report


def _is_duplicate(transaction: Transaction, survivor: Transaction) -> bool:
    return (
        transaction.id_tag == survivor.id_tag
        and transaction.meter_start == survivor.meter_start
        and survivor.start_time - transaction.start_time <= DUPLICATE_WINDOW
    )


def _merge(session: Session, duplicate: Transaction, survivor: Transaction, now) -> bool:
    """Move the duplicate's readings to the survivor and close it without energy."""
    explanation = f"duplicate of transaction {survivor.id} (a retried StartTransaction); merged"
    changed = _conditional_close(
        session,
        duplicate,
        end_time=duplicate.start_time,
        meter_stop=duplicate.meter_start,
        reason=Reason.other,
        extra={"anomaly": explanation[:255], "finalized_at": now},
    )
    if changed:
        session.execute(
            update(MeterValue)
            .where(MeterValue.transaction_id == duplicate.id)
            .values(transaction_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        _log(session, duplicate, "TransactionMerged", explanation, now)
    return changed


def _stale_active(session, max_duration, boot_grace, now, limit):
    overdue = session.scalars(
        select(Transaction)
        .where(_active(), Transaction.start_time < now - max_duration)
        .order_by(Transaction.id)
        .limit(limit)
    ).all()
    hours = max_duration.total_seconds() / 3600
    stale = [
        (transaction, Reason.other, f"still Active after the maximum of {hours:g} hours")
        for transaction in overdue
    ]
    rebooted = session.execute(
        select(Transaction, Charger.last_boot_at)
        .join(Charger, Charger.id == Transaction.charger_id)
        .join(Connector, Connector.id == Transaction.connector_id)
        .where(
            _active(),
            # Server times on both sides: a charger clock running behind cannot fake a boot.
            Charger.last_boot_at > Transaction.created_at,
            Charger.last_boot_at < now - boot_grace,
            # A charger that resent BootNotification but still reports the connector
            # charging has not lost the session; the maximum duration still applies.
            or_(Connector.ocpp_status.is_(None), Connector.ocpp_status.not_in(STILL_CHARGING)),
        )
        .order_by(Transaction.id)
        .limit(limit)
    ).all()
    seen = {transaction.id for transaction in overdue}
    stale += [
        (transaction, Reason.reboot, f"charger booted again at {booted:%Y-%m-%dT%H:%M:%SZ}")
        for transaction, booted in rebooted
        if transaction.id not in seen
    ]
    return stale


def _close_failed(session, transaction, reason, explanation, now, until=None) -> bool:
    """Close as Failed at the last reading (before `until`), then finalise its energy."""
    samples = [
        sample
        for sample in register_samples(session, transaction)
        if until is None or sample.timestamp <= until
    ]
    last = max(samples, key=lambda sample: sample.timestamp, default=None)
    meter_stop = round(last.wh) if last is not None else transaction.meter_start
    end_time = max(last.timestamp, transaction.start_time) if last else transaction.start_time
    if not _conditional_close(session, transaction, end_time, meter_stop, reason):
        return False
    _log(
        session,
        transaction,
        "TransactionFailed",
        f"{explanation}; closed at the last known meter value {meter_stop} Wh",
        now,
    )
    finalize_session(session, transaction.id, now)
    return True


def _conditional_close(session, transaction, end_time, meter_stop, reason, extra=None) -> bool:
    changed = session.execute(
        update(Transaction)
        .where(Transaction.id == transaction.id, _active())
        .values(
            status=TransactionStatus.FAILED,
            end_time=end_time,
            meter_stop=meter_stop,
            stop_reason=reason.value,
            **(extra or {}),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(transaction)
    return bool(changed)


def _stopped_unfinalised(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(Transaction.id)
            .where(
                Transaction.end_time.is_not(None),
                Transaction.finalized_at.is_(None),
                Transaction.end_time < now - FINALIZE_GRACE,
            )
            .order_by(Transaction.id)
            .limit(limit)
        )
    )


def _active():
    return (Transaction.status == TransactionStatus.ACTIVE) & Transaction.end_time.is_(None)


def _log(session: Session, transaction: Transaction, status: str, message: str, now) -> None:
    session.add(
        StatusLog(
            charger_id=transaction.charger_id,
            connector_id=transaction.connector.connector_id,
            timestamp=now,
            status=status,
            message=f"transaction {transaction.id}: {message}",
        )
    )
