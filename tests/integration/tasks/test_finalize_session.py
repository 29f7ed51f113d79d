"""finalize_session: energy, Completed, finalised once however often and however concurrently."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.errors import NotFound
from domain.models import StatusLog, TaskOutbox, Transaction, TransactionStatus
from domain.services.sessions import finalize_session
from tasks.dispatch import dispatch_pending
from tasks.jobs import SessionsNotFinalized, finalize_sessions
from tests.sessions_builder import T0, add_charger, register, start, stop


def stopped_session(db, *, meter_start=1000, meter_stop=23_500, data=()):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-1")
        transaction_id = start(session, charger, meter_start=meter_start)
        stop(session, charger, transaction_id, meter_stop=meter_stop, data=data)
    return transaction_id


def test_stop_is_finalised_with_energy_from_the_meter(db, settings):
    transaction_id = stopped_session(db)
    assert dispatch_pending(db, settings) == 1  # embedded: runs here, eagerly
    with db.unit_of_work() as session:
        transaction = session.get(Transaction, transaction_id)
        assert transaction.energy_consumed_kwh == pytest.approx(22.5)
        assert transaction.status == TransactionStatus.COMPLETED
        assert transaction.finalized_at is not None
        assert transaction.anomaly is None
        assert session.scalar(select(TaskOutbox.dispatched_at)) is not None


def test_kwh_samples_are_normalised_before_the_cross_check(db):
    data = [
        register(T0, "1.000", unit="kWh", context="Transaction.Begin"),
        register(T0 + timedelta(hours=1), "23.500", unit="kWh", context="Transaction.End"),
    ]
    transaction_id = stopped_session(db, data=data)
    with db.unit_of_work() as session:
        outcome = finalize_session(session, transaction_id)
    assert outcome.finalized
    assert outcome.energy_kwh == pytest.approx(22.5)
    assert outcome.anomaly is None
    assert outcome.duration_seconds == 3600


def test_backwards_meter_is_flagged_kept_and_logged(db):
    transaction_id = stopped_session(db, meter_start=9_000, meter_stop=4_000)
    with db.unit_of_work() as session:
        outcome = finalize_session(session, transaction_id)
    with db.unit_of_work() as session:
        transaction = session.get(Transaction, transaction_id)
        assert transaction.energy_consumed_kwh is None
        assert (transaction.meter_start, transaction.meter_stop) == (9_000, 4_000)
        assert "backwards" in transaction.anomaly
        assert transaction.finalized_at is not None
        logs = session.scalars(select(StatusLog).where(StatusLog.status == "SessionAnomaly"))
        assert [log.message for log in logs] == [f"transaction {transaction_id}: {outcome.anomaly}"]


def test_running_finalize_twice_changes_the_rows_once(db):
    transaction_id = stopped_session(db, meter_start=9_000, meter_stop=4_000)
    with db.unit_of_work() as session:
        first = finalize_session(session, transaction_id)
    with db.unit_of_work() as session:
        finalized_at = session.get(Transaction, transaction_id).finalized_at
        second = finalize_session(session, transaction_id)
    assert (first.finalized, second.finalized) == (True, False)
    with db.unit_of_work() as session:
        assert session.get(Transaction, transaction_id).finalized_at == finalized_at
        assert session.scalar(select(func.count()).select_from(StatusLog)) == 1


def test_active_session_is_not_finalised(db):
    with db.unit_of_work() as session:
        transaction_id = start(session, add_charger(session, "CP-1"))
    with db.unit_of_work() as session:
        outcome = finalize_session(session, transaction_id)
    assert not outcome.finalized
    assert outcome.status == TransactionStatus.ACTIVE


def test_unknown_transaction_raises_not_found(db):
    with db.unit_of_work() as session, pytest.raises(NotFound):
        finalize_session(session, 424242)


def test_concurrent_finalisations_on_postgres_write_once(pg_db):
    transaction_id = stopped_session(pg_db, meter_start=9_000, meter_stop=4_000)
    barrier = threading.Barrier(4)
    outcomes = []

    def finalize():
        with pg_db.unit_of_work() as session:
            barrier.wait()
            outcomes.append(finalize_session(session, transaction_id).finalized)

    threads = [threading.Thread(target=finalize) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
    with pg_db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(StatusLog)) == 1


def test_a_batch_finalises_each_session_and_one_failure_stops_none(db, settings):
    first = stopped_session(db)
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-2")
        second = start(session, charger, meter_start=0)
        stop(session, charger, second, meter_stop=7_000)
    with pytest.raises(SessionsNotFinalized, match="424242"):
        finalize_sessions(db, settings, transaction_ids=[first, 424242, second])
    with db.unit_of_work() as session:
        energy = dict(
            session.execute(
                select(Transaction.id, Transaction.energy_consumed_kwh).where(
                    Transaction.finalized_at.is_not(None)
                )
            ).all()
        )
    assert energy == {first: pytest.approx(22.5), second: pytest.approx(7.0)}
