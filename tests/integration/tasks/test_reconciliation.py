"""reconcile_transactions: stuck sessions are closed with a reason, duplicates merged, once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.models import Charger, MeterValue, StatusLog, Transaction, TransactionStatus
from domain.services.reconciliation import reconcile_transactions
from tasks.dispatch import dispatch_pending
from tasks.jobs import run_job
from tests.sessions_builder import (
    T0,
    add_charger,
    connector_status,
    meter,
    register,
    start,
    stop,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def reconcile(db, now, **overrides):
    options = {"max_duration": 72 * HOUR, "boot_grace": timedelta(minutes=5)} | overrides
    with db.unit_of_work() as session:
        return reconcile_transactions(session, now=now, **options).as_dict()


def transaction(db, transaction_id) -> Transaction:
    with db.unit_of_work() as session:
        return session.get(Transaction, transaction_id)


def log_lines(db):
    with db.unit_of_work() as session:
        rows = session.execute(select(StatusLog.status, StatusLog.message).order_by(StatusLog.id))
        return rows.all()


def test_session_of_a_charger_that_booted_again_is_failed_at_its_last_reading(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger, meter_start=10_000)
        meter(session, charger, transaction_id, register(T0 + HOUR, "14.5", unit="kWh"))
        session.get(Charger, charger.id).last_boot_at = T0 + 2 * HOUR
    report = reconcile(db, now=T0 + 3 * HOUR)
    assert report == {"merged": [], "closed": [transaction_id], "finalized": []}
    closed = transaction(db, transaction_id)
    assert closed.status == TransactionStatus.FAILED
    assert closed.stop_reason == "Reboot"
    assert (closed.meter_stop, closed.end_time) == (14_500, T0 + HOUR)
    assert closed.energy_consumed_kwh == pytest.approx(4.5)
    assert closed.finalized_at is not None
    [(status, message)] = log_lines(db)
    assert status == "TransactionFailed"
    assert "booted again" in message and "last known meter value 14500 Wh" in message


def test_a_charger_still_reporting_the_connector_charging_after_a_boot_keeps_its_session(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger)
        session.get(Charger, charger.id).last_boot_at = T0 + HOUR
        connector_status(session, charger, "Charging", at=T0 + HOUR + timedelta(seconds=5))
    assert reconcile(db, now=T0 + 3 * HOUR)["closed"] == []
    assert transaction(db, transaction_id).status == TransactionStatus.ACTIVE


def test_a_charger_clock_running_behind_does_not_make_a_boot_look_later(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        session.get(Charger, charger.id).last_boot_at = T0
        # Stamped 10 minutes before the boot by a slow clock, received after it.
        transaction_id = start(session, charger, at=T0 - timedelta(minutes=10))
        session.get(Transaction, transaction_id).created_at = T0 + timedelta(minutes=1)
    assert reconcile(db, now=T0 + 3 * HOUR)["closed"] == []


def test_a_boot_within_the_grace_period_leaves_the_session_for_its_stop(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger)
        session.get(Charger, charger.id).last_boot_at = T0 + HOUR
    reconcile(db, now=T0 + HOUR + timedelta(minutes=1))
    assert transaction(db, transaction_id).status == TransactionStatus.ACTIVE


def test_session_past_the_maximum_duration_is_failed_without_inventing_energy(db):
    with db.unit_of_work() as session:
        transaction_id = start(session, add_charger(session, "CP-1"), meter_start=500)
    report = reconcile(db, now=T0 + 73 * HOUR)
    assert report["closed"] == [transaction_id]
    closed = transaction(db, transaction_id)
    assert (closed.status, closed.stop_reason) == (TransactionStatus.FAILED, "Other")
    assert (closed.meter_stop, closed.end_time) == (500, T0)
    assert closed.energy_consumed_kwh == 0.0
    assert "maximum of 72 hours" in log_lines(db)[0][1]


def test_restamped_duplicate_start_is_merged_into_the_newer_session_when_it_starts(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        original = start(session, charger, meter_start=1_000)
        meter(session, charger, original, register(T0 + timedelta(minutes=5), "1500"))
        retry = start(session, charger, meter_start=1_000, at=T0 + timedelta(seconds=40))
    report = reconcile(db, now=T0 + HOUR)
    assert report == {"merged": [], "closed": [], "finalized": []}
    merged, survivor = transaction(db, original), transaction(db, retry)
    assert merged.status == TransactionStatus.FAILED
    assert f"duplicate of transaction {retry}" in merged.anomaly
    assert merged.energy_consumed_kwh is None and merged.finalized_at is not None
    assert survivor.status == TransactionStatus.ACTIVE
    with db.unit_of_work() as session:
        owners = session.scalars(select(MeterValue.transaction_id)).all()
    assert owners == [retry]
    assert log_lines(db)[0][0] == "TransactionMerged"


def test_older_session_superseded_on_its_connector_is_closed_at_its_last_reading(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        lost = start(session, charger, meter_start=1_000, tag="A")
        meter(session, charger, lost, register(T0 + timedelta(minutes=30), "6000"))
        newer = start(session, charger, meter_start=7_000, tag="B", at=T0 + HOUR)
    # The newer StartTransaction closed it already; reconciliation finds nothing left.
    assert reconcile(db, now=T0 + 2 * HOUR)["closed"] == []
    closed = transaction(db, lost)
    assert (closed.status, closed.meter_stop) == (TransactionStatus.FAILED, 6_000)
    assert closed.energy_consumed_kwh == pytest.approx(5.0)
    assert transaction(db, newer).status == TransactionStatus.ACTIVE
    assert f"superseded by transaction {newer}" in log_lines(db)[0][1]


def test_stopped_session_whose_finalisation_was_lost_is_finalised(db, settings):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger, meter_start=0)
        stop(session, charger, transaction_id, meter_stop=7_000)
    # The outbox row was never dispatched (its dispatcher died); reconciliation picks it up.
    assert run_job("reconcile_transactions", db, settings, {}) == {
        "merged": [],
        "closed": [],
        "finalized": [transaction_id],
    }
    finalized = transaction(db, transaction_id)
    assert finalized.status == TransactionStatus.COMPLETED
    assert finalized.energy_consumed_kwh == pytest.approx(7.0)


def test_reconciling_twice_changes_the_rows_once(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        overdue = start(session, charger, tag="A")
        session.get(Charger, charger.id).last_boot_at = T0 + HOUR
        stopped = start(session, add_charger(session, "CP-2"))
        stop(session, session.get(Transaction, stopped).charger, stopped, meter_stop=10)
    first = reconcile(db, now=T0 + 2 * HOUR)
    lines = log_lines(db)
    second = reconcile(db, now=T0 + 2 * HOUR)
    assert first == {"merged": [], "closed": [overdue], "finalized": [stopped]}
    assert second == {"merged": [], "closed": [], "finalized": []}
    assert log_lines(db) == lines


def test_a_stop_replayed_after_reconciliation_replaces_the_estimate_and_is_finalised_again(
    db, settings
):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger, meter_start=10_000)
        meter(session, charger, transaction_id, register(T0 + HOUR, "12000"))
        session.get(Charger, charger.id).last_boot_at = T0 + 2 * HOUR
    reconcile(db, now=T0 + 3 * HOUR)
    assert transaction(db, transaction_id).energy_consumed_kwh == pytest.approx(2.0)
    for _retry in range(2):
        with db.unit_of_work() as session:
            charger = session.scalar(select(Charger).where(Charger.name == "CP-1"))
            stop(session, charger, transaction_id, meter_stop=16_000, at=T0 + 90 * MINUTE)
        dispatch_pending(db, settings)
    replayed = transaction(db, transaction_id)
    assert replayed.status == TransactionStatus.COMPLETED
    assert (replayed.meter_stop, replayed.end_time) == (16_000, T0 + 90 * MINUTE)
    assert replayed.energy_consumed_kwh == pytest.approx(6.0)
    statuses = [status for status, _message in log_lines(db)]
    assert statuses.count("LateStopTransaction") == 1
