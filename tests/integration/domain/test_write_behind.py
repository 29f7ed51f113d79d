"""Write-behind of bookkeeping: coalesced, bounded, written in one unit of work per flush,
never moving a time backwards, written on close (on a real SQLite database)."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from domain.boot_storm import BootStormGuard
from domain.events import EventBus
from domain.models import Charger, Direction, OcppMessage, SocketEventKind
from domain.services.chargers import create_charger
from domain.services.message_log import frame_row
from domain.services.socket_events import SocketEnd
from domain.write_behind import WriteBehind
from tests.ocpp_client import eventually
from web.ocpp.framing import IncomingCall
from web.ocpp.handlers import CallHandler

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def counts():
    return {}


@pytest.fixture
def writer(db, counts):
    with db.unit_of_work() as session:
        create_charger(session, "wb1", connector_ids=(1,))
        create_charger(session, "wb2", connector_ids=(1,))

    def counted(outcome, rows):
        counts[outcome] = counts.get(outcome, 0) + rows

    writer = WriteBehind(db, interval=1.0, capacity=5, counted=counted)
    yield writer
    writer.close()


def row(unique_id: str, at: datetime = T0) -> dict:
    return frame_row(
        charger_name="wb1",
        direction=Direction.IN,
        message_type=2,
        unique_id=unique_id,
        action="Heartbeat",
        payload={},
        at=at,
    )


def heard(db, name):
    with db.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == name))
        return charger.last_heartbeat, charger.last_communication


def logged_ids(db):
    with db.unit_of_work() as session:
        return session.scalars(select(OcppMessage.unique_id).order_by(OcppMessage.id)).all()


def test_heartbeats_of_one_charger_coalesce_into_its_latest_time(db, writer, counts):
    writer.note_heartbeat("wb1", T0 + timedelta(seconds=2))
    writer.note_heartbeat("wb1", T0)
    writer.note_heartbeat("wb2", T0)
    assert writer.pending() == 2
    writer.flush()
    assert heard(db, "wb1") == (T0 + timedelta(seconds=2), T0 + timedelta(seconds=2))
    assert heard(db, "wb2") == (T0, T0)
    assert counts == {"queued": 2, "written": 2}
    assert writer.pending() == 0


def test_a_written_behind_heartbeat_never_moves_a_later_time_back(db, writer):
    later = T0 + timedelta(minutes=5)
    with db.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == "wb1"))
        charger.last_communication = later
    writer.note_heartbeat("wb1", T0)
    writer.flush()
    assert heard(db, "wb1") == (T0, later)


def test_message_log_rows_are_written_in_queue_order(db, writer):
    writer.log_frames([row("a"), row("b")])
    writer.log_frames([row("c")])
    assert logged_ids(db) == []
    writer.flush()
    assert logged_ids(db) == ["a", "b", "c"]


def test_a_full_queue_drops_new_rows_and_counts_them(db, writer, counts):
    writer.log_frames([row("a"), row("b"), row("c"), row("d")])
    writer.log_frames([row("e"), row("f")])
    writer.note_heartbeat("wb1", T0)
    writer.flush()
    assert logged_ids(db) == ["a", "b", "c", "d"]
    assert heard(db, "wb1") == (T0, T0)
    assert counts == {"queued": 5, "dropped": 2, "written": 5}


def test_rows_whose_flush_failed_are_written_by_the_next_one(db, writer, counts):
    writer.log_frames([row("a")])
    with db.unit_of_work() as session:
        session.execute(text(
            "CREATE TRIGGER refuse_log BEFORE INSERT ON ocpp_messages "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ))  # fmt: skip
    writer.flush()
    assert writer.pending() == 1
    with db.unit_of_work() as session:
        session.execute(text("DROP TRIGGER refuse_log"))
    writer.flush()
    assert logged_ids(db) == ["a"]
    assert counts == {"queued": 1, "written": 1}


def test_the_writer_flushes_by_itself_within_its_interval(db, writer):
    writer.log_frames([row("a")])
    assert eventually(lambda: logged_ids(db) == ["a"], timeout=15)


def test_close_writes_what_is_left(db, counts):
    with db.unit_of_work() as session:
        create_charger(session, "wb3", connector_ids=(1,))
    writer = WriteBehind(db, interval=1.0)
    writer.note_heartbeat("wb3", T0)
    writer.log_frames([row("last")])
    writer.close()
    assert heard(db, "wb3") == (T0, T0)
    assert logged_ids(db) == ["last"]


def test_the_loss_window_cannot_be_configured_past_one_second(db):
    with pytest.raises(ValueError):
        WriteBehind(db, interval=1.5)


def test_a_socket_writes_heartbeats_and_non_transactional_logs_behind_but_keeps_transactions(
    db, settings, writer
):
    handler = CallHandler(db, settings, BootStormGuard(1000), EventBus(), bookkeeping=writer)
    connection = SimpleNamespace(charger_name="wb1", snapshot=None, other_conf_sent=False)
    start = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z"}
    for unique_id, action, payload in [
        ("hb", "Heartbeat", {}),
        ("auth", "Authorize", {"idTag": "T"}),
        ("start", "StartTransaction", start),
    ]:
        reply = json.loads(
            handler.answer(connection, IncomingCall(unique_id, action, payload)).frame
        )
        assert reply[:2] == [3, unique_id]
    assert heard(db, "wb1")[0] is None
    assert logged_ids(db) == ["start", "start"]
    writer.flush()
    assert heard(db, "wb1")[0] is not None
    with db.unit_of_work() as session:
        rows = session.scalars(select(OcppMessage.unique_id)).all()
    assert sorted(rows) == ["auth", "auth", "hb", "hb", "start", "start"]


@pytest.mark.parametrize("database", ["db", "pg_db"])
def test_last_communications_coalesce_and_never_move_back(database, request):
    database = request.getfixturevalue(database)
    later = T0 + timedelta(minutes=5)
    with database.unit_of_work() as session:
        create_charger(session, "wb1", connector_ids=(1,))
        create_charger(session, "wb2", connector_ids=(1,))
        session.flush()
        session.scalar(select(Charger).where(Charger.name == "wb2")).last_communication = later
    writer = WriteBehind(database, interval=1.0)
    try:
        writer.note_communication("wb1", T0 + timedelta(seconds=3))
        writer.note_communication("wb1", T0)
        writer.note_communication("wb2", T0)
        assert writer.pending() == 2
        writer.flush()
    finally:
        writer.close()
    # A message's time is not a heartbeat's: last_heartbeat stays unset.
    assert heard(database, "wb1") == (None, T0 + timedelta(seconds=3))
    assert heard(database, "wb2") == (None, later)


def test_socket_endings_are_announced_only_once_written(db, counts):
    with db.unit_of_work() as session:
        create_charger(session, "wb-end", connector_ids=(1,)).status = "Connected"
    announced = []
    writer = WriteBehind(db, interval=1.0, ends_written=announced.append)
    end = SocketEnd("wb-end", SocketEventKind.CLOSED, T0, "socket closed")
    try:
        writer.note_socket_end(end)
        assert announced == []  # queued, not written: nothing said yet
        with db.unit_of_work() as session:
            assert session.scalar(select(Charger.status).where(Charger.name == "wb-end")) == (
                "Connected"
            )
        writer.flush()
    finally:
        writer.close()
    assert announced == [[end]]
    with db.unit_of_work() as session:
        assert session.scalar(select(Charger.status).where(Charger.name == "wb-end")) == (
            "Disconnected"
        )
