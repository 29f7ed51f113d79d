"""The message log by day on PostgreSQL: rows land in their day's partition, partitions are
made ahead, retention drops whole expired days and deletes the rest in batches."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from domain.clock import utcnow
from domain.models import Direction, OcppMessage
from domain.services.message_log import frame_row, record_frames
from domain.services.message_log_partitions import (
    DAYS_AHEAD,
    drop_message_log_partitions,
    ensure_message_log_partitions,
    message_log_is_partitioned,
    message_log_partitions,
)
from tasks.jobs import run_job
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


def day_start(offset_days: int) -> datetime:
    today = utcnow().date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=offset_days)


def log_rows_at(database, moments: list[datetime]) -> None:
    rows = [
        frame_row(
            charger_name="cp",
            direction=Direction.IN,
            message_type=2,
            unique_id=f"m{i}",
            action="Heartbeat",
            payload={},
            at=at,
        )
        for i, at in enumerate(moments)
    ]
    with database.unit_of_work() as session:
        record_frames(session, rows)


def partition_of(database, unique_id: str) -> str:
    with database.unit_of_work() as session:
        return session.execute(
            text("SELECT tableoid::regclass::text FROM ocpp_messages WHERE unique_id = :u"),
            {"u": unique_id},
        ).scalar_one()


def test_rows_land_in_the_partition_of_their_day(pg_db):
    with pg_db.unit_of_work() as session:
        assert message_log_is_partitioned(session)
        created = ensure_message_log_partitions(session, utcnow().date())
    # The rows from before partitioning end tomorrow; the days after it get partitions.
    assert len(created) == DAYS_AHEAD
    log_rows_at(pg_db, [utcnow(), day_start(3) + timedelta(hours=5), day_start(40)])
    assert partition_of(pg_db, "m0") == "ocpp_messages_before"
    assert partition_of(pg_db, "m1") == f"ocpp_messages_p{day_start(3):%Y%m%d}"
    assert partition_of(pg_db, "m2") == "ocpp_messages_default"
    with pg_db.unit_of_work() as session:
        assert ensure_message_log_partitions(session, utcnow().date()) == []


def test_a_day_whose_rows_went_to_the_default_partition_gets_no_partition(pg_db):
    log_rows_at(pg_db, [day_start(5)])
    with pg_db.unit_of_work() as session:
        created = ensure_message_log_partitions(session, utcnow().date())
    assert f"ocpp_messages_p{day_start(5):%Y%m%d}" not in created
    assert partition_of(pg_db, "m0") == "ocpp_messages_default"


def test_retention_drops_whole_expired_days_and_keeps_the_rest(pg_db):
    with pg_db.unit_of_work() as session:
        ensure_message_log_partitions(session, utcnow().date())
    log_rows_at(pg_db, [day_start(2), day_start(2) + timedelta(hours=23), day_start(3)])
    with pg_db.unit_of_work() as session:
        # As if it were the day after tomorrow and retention kept nothing older than it.
        dropped, rows = drop_message_log_partitions(session, day_start(3))
        names = {p.name for p in message_log_partitions(session)}
    assert (dropped, rows) == (3, 2)  # before partitioning (empty), tomorrow (empty), day 2
    assert "ocpp_messages_before" not in names
    assert f"ocpp_messages_p{day_start(2):%Y%m%d}" not in names
    with pg_db.unit_of_work() as session:
        assert session.scalars(select(OcppMessage.unique_id)).all() == ["m2"]


def test_the_retention_job_deletes_expired_rows_of_the_default_partition_in_batches(
    pg_db, postgres_url, tmp_path
):
    settings = make_settings(
        tmp_path, database_url=postgres_url, prune_batch_size=2, message_log_retention_days=30
    )
    # Rows the partitions do not cover (e.g. a clock far off) are pruned by age all the same.
    old = utcnow() - timedelta(days=31)
    with pg_db.unit_of_work() as session:
        session.execute(text("DROP TABLE ocpp_messages_before"))
    log_rows_at(pg_db, [old, old, old, utcnow()])
    assert run_job("prune_message_log", pg_db, settings, {})["deleted"] == 3
    with pg_db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OcppMessage)) == 1
        partitions = {p.name for p in message_log_partitions(session)}
    assert f"ocpp_messages_p{day_start(DAYS_AHEAD):%Y%m%d}" in partitions
