"""prune_status_logs / prune_message_log: only rows past retention go, batch by batch."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import utcnow
from domain.models import Direction, OcppMessage, RevokedToken, StatusLog, TaskOutbox
from domain.services.message_log import record_frame
from domain.services.outbox import enqueue_task, mark_dispatched
from tasks.jobs import run_job
from tests.conftest import make_settings
from tests.sessions_builder import add_charger


@pytest.fixture
def small_batches(tmp_path, sqlite_url):
    return make_settings(
        tmp_path,
        database_url=sqlite_url,
        prune_batch_size=2,
        status_log_retention_days=90,
        message_log_retention_days=30,
    )


def add_status_logs(session, charger, ages_in_days):
    for age in ages_in_days:
        session.add(
            StatusLog(
                charger_id=charger.id,
                status="Available",
                message=f"{age} days old",
                timestamp=utcnow() - timedelta(days=age),
            )
        )


def test_status_logs_older_than_retention_are_deleted_in_batches(db, small_batches):
    with db.unit_of_work() as session:
        add_status_logs(session, add_charger(session, "CP-1"), [200, 120, 95, 91, 89, 1])
    assert run_job("prune_status_logs", db, small_batches, {}) == {"deleted": 4}
    assert run_job("prune_status_logs", db, small_batches, {}) == {"deleted": 0}
    with db.unit_of_work() as session:
        left = session.scalars(select(StatusLog.message).order_by(StatusLog.id)).all()
    assert left == ["89 days old", "1 days old"]


def test_message_log_and_dispatched_outbox_rows_past_retention_are_deleted(db, small_batches):
    with db.unit_of_work() as session:
        for age in (40, 35, 31, 29):
            record_frame(
                session,
                charger_name="CP-1",
                direction=Direction.IN,
                message_type=2,
                unique_id=f"u{age}",
                action="Heartbeat",
                payload={},
                at=utcnow() - timedelta(days=age),
            )
        enqueue_task(session, "finalize_session", "1", transaction_id=1)
        enqueue_task(session, "finalize_session", "2", transaction_id=2)
        enqueue_task(session, "finalize_session", "3", transaction_id=3)
        old, recent, _pending = session.scalars(select(TaskOutbox.id).order_by(TaskOutbox.id))
        mark_dispatched(session, [old], when=utcnow() - timedelta(days=31))
        mark_dispatched(session, [recent])
    assert run_job("prune_message_log", db, small_batches, {}) == {
        "deleted": 3,
        "outbox_deleted": 1,
        "revoked_tokens_deleted": 0,
    }
    with db.unit_of_work() as session:
        assert session.scalars(select(OcppMessage.unique_id)).all() == ["u29"]
        # The recently dispatched row and the still pending one stay.
        assert session.scalars(select(TaskOutbox.dedupe_key).order_by(TaskOutbox.id)).all() == [
            "2",
            "3",
        ]


def test_blocklist_entries_of_expired_tokens_are_deleted_and_live_ones_kept(db, small_batches):
    with db.unit_of_work() as session:
        for jti, expires_in in (("gone-1", -2), ("gone-2", -1), ("gone-3", -1), ("live", 1)):
            session.add(RevokedToken(jti=jti, expires_at=utcnow() + timedelta(hours=expires_in)))
    outcome = run_job("prune_message_log", db, small_batches, {})
    assert outcome["revoked_tokens_deleted"] == 3
    with db.unit_of_work() as session:
        assert session.scalars(select(RevokedToken.jti)).all() == ["live"]
