"""Two StartTransactions on one connector committed at the same moment cannot see each other,
so both stay Active; reconciliation is what settles that connector."""

import queue
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from domain.models import Charger, Transaction, TransactionStatus
from domain.services.reconciliation import reconcile_transactions
from tests.ocpp_client import eventually
from tests.sessions_builder import T0, add_charger, meter, register, start

pytestmark = pytest.mark.postgres

HOUR = timedelta(hours=1)


def someone_waits_for_a_lock(database) -> bool:
    with database.unit_of_work() as session:
        return bool(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def test_starts_committed_concurrently_on_one_connector_are_settled_by_reconciliation(pg_db):
    with pg_db.unit_of_work() as session:
        charger_id = add_charger(session, "CP-1").id
    newer = queue.Queue()

    def start_newer():
        with pg_db.unit_of_work() as session:
            charger = session.get(Charger, charger_id)
            newer.put(start(session, charger, meter_start=7_000, tag="B", at=T0 + HOUR))

    with pg_db.unit_of_work() as session:
        charger = session.get(Charger, charger_id)
        lost = start(session, charger, meter_start=1_000, tag="A")
        meter(session, charger, lost, register(T0 + HOUR / 2, "6000"))
        racer = threading.Thread(target=start_newer, daemon=True)
        racer.start()
        eventually(lambda: someone_waits_for_a_lock(pg_db))
    racer.join(30)
    newer_id = newer.get(timeout=1)
    with pg_db.unit_of_work() as session:
        statuses = {tx.id: tx.status for tx in session.query(Transaction)}
    assert statuses == {lost: TransactionStatus.ACTIVE, newer_id: TransactionStatus.ACTIVE}

    with pg_db.unit_of_work() as session:
        report = reconcile_transactions(
            session, max_duration=72 * HOUR, boot_grace=HOUR / 12, now=T0 + 2 * HOUR
        )
    assert report.closed == [lost]
    with pg_db.unit_of_work() as session:
        closed = session.get(Transaction, lost)
        assert (closed.status, closed.meter_stop) == (TransactionStatus.FAILED, 6_000)
        assert session.get(Transaction, newer_id).status == TransactionStatus.ACTIVE
