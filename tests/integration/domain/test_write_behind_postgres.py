"""Write-behind on PostgreSQL, where a flush notes every charger's heartbeat in one
statement and copies the message-log rows: the same rows as the per-charger statement."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.models import Charger, Direction, OcppMessage
from domain.services.chargers import create_charger
from domain.services.message_log import frame_row
from domain.write_behind import WriteBehind

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def heard(database) -> dict[str, tuple]:
    with database.unit_of_work() as session:
        chargers = session.scalars(select(Charger).order_by(Charger.name)).all()
        return {c.name: (c.last_heartbeat, c.last_communication) for c in chargers}


def test_one_flush_notes_every_charger_and_never_moves_a_later_time_back(pg_db):
    later = T0 + timedelta(minutes=5)
    with pg_db.unit_of_work() as session:
        for name in ("pg-a", "pg-b", "pg-c", "pg-untouched"):
            create_charger(session, name, connector_ids=(1,))
    with pg_db.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == "pg-c"))
        charger.last_heartbeat = charger.last_communication = later
    writer = WriteBehind(pg_db, interval=1.0)
    try:
        writer.note_heartbeat("pg-a", T0)
        writer.note_heartbeat("pg-a", T0 + timedelta(seconds=2))
        writer.note_heartbeat("pg-b", datetime(2026, 11, 30, 12, 0))  # naive: taken as UTC
        writer.note_heartbeat("pg-c", T0)
        writer.note_heartbeat("pg-gone", T0)  # deleted meanwhile: nothing to update
        writer.log_frames(
            [
                frame_row(
                    charger_name="pg-a",
                    direction=Direction.IN,
                    message_type=2,
                    unique_id="hb-1",
                    action="Heartbeat",
                    payload={},
                    at=T0,
                )
            ]
        )
        writer.flush()
    finally:
        writer.close()
    assert heard(pg_db) == {
        "pg-a": (T0 + timedelta(seconds=2), T0 + timedelta(seconds=2)),
        "pg-b": (T0, T0),
        "pg-c": (later, later),
        "pg-untouched": (None, None),
    }
    with pg_db.unit_of_work() as session:
        assert session.scalars(select(OcppMessage.unique_id)).all() == ["hb-1"]
