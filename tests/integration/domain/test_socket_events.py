"""A socket's opening (committed) and ending (written behind): the charger's status, its
status-log history and its socket events, on SQLite and PostgreSQL; an ending written after
a newer socket opened never marks the charger Disconnected; the handshake's admission reads
the charger once and hands its snapshot on."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.models import Charger, SocketEvent, SocketEventKind, StatusLog
from domain.services.charger_access import ConnectionFacts, admit_connection
from domain.services.charger_snapshots import take_snapshot
from domain.services.chargers import create_charger, delete_charger, update_charger
from domain.services.socket_events import SocketEnd, socket_opened
from domain.write_behind import WriteBehind

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PLAIN = ConnectionFacts(tls=False, certificate_cn=None, basic=None)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def writer(database):
    with database.unit_of_work() as session:
        create_charger(session, "se1", connector_ids=(1, 2))
        create_charger(session, "se2")
    writer = WriteBehind(database, interval=1.0)
    yield writer
    writer.close()


def opened(database, name: str, at: datetime):
    with database.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        return socket_opened(session, charger_id, at, "node-a")


def state(database, name: str):
    """(status, [(status-log status, timestamp)...] by time, [socket event kinds] by time)."""
    with database.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == name))
        log = session.execute(
            select(StatusLog.status, StatusLog.timestamp)
            .where(StatusLog.charger_id == charger.id)
            .order_by(StatusLog.timestamp, StatusLog.id)
        ).all()
        events = session.scalars(
            select(SocketEvent.kind)
            .where(SocketEvent.charger_id == charger.id)
            .order_by(SocketEvent.at, SocketEvent.id)
        ).all()
        return charger.status, [(status, at.replace(tzinfo=UTC)) for status, at in log], events


def test_an_opening_is_committed_and_an_ending_written_behind(database, writer):
    assert opened(database, "se1", T0) == ("Accepted", take_snapshot_of(database, "se1").id_tag)
    writer.note_socket_end(SocketEnd("se1", SocketEventKind.DROPPED, T0 + timedelta(1), "gone"))
    assert state(database, "se1")[0] == "Connected"
    writer.flush()
    assert state(database, "se1") == (
        "Disconnected",
        [("Connected", T0), ("Disconnected", T0 + timedelta(1))],
        ["opened", "dropped"],
    )


def test_an_ending_written_after_a_newer_socket_opened_leaves_the_charger_connected(
    database, writer
):
    opened(database, "se1", T0)
    writer.note_socket_end(SocketEnd("se1", SocketEventKind.DROPPED, T0 + timedelta(1), "gone"))
    opened(database, "se1", T0 + timedelta(2))  # back (here or on another node) before the flush
    writer.flush()
    status, log, events = state(database, "se1")
    assert status == "Connected"
    assert log == [
        ("Connected", T0),
        ("Disconnected", T0 + timedelta(1)),
        ("Connected", T0 + timedelta(2)),
    ]
    assert events == ["opened", "dropped", "opened"]


def test_a_replaced_socket_records_its_event_only(database, writer):
    opened(database, "se1", T0)
    writer.note_socket_end(SocketEnd("se1", SocketEventKind.REPLACED, T0 + timedelta(1), None))
    writer.flush()
    assert state(database, "se1") == ("Connected", [("Connected", T0)], ["opened", "replaced"])


def test_an_ending_of_a_deleted_charger_is_skipped_not_failing_its_batch(database, writer):
    writer.note_socket_end(SocketEnd("se2", SocketEventKind.CLOSED, T0, "closed"))
    writer.note_socket_end(SocketEnd("se1", SocketEventKind.CLOSED, T0, "closed"))
    with database.unit_of_work() as session:
        delete_charger(session, "se2")
    writer.flush()
    assert writer.pending() == 0
    assert state(database, "se1") == ("Disconnected", [("Disconnected", T0)], ["closed"])


def test_an_opening_returns_the_registration_as_stored_now(database, writer):
    with database.unit_of_work() as session:
        update_charger(session, "se1", registration_status="Rejected")
    assert opened(database, "se1", T0)[0] == "Rejected"
    with database.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == "se2"))
        delete_charger(session, "se2")
    with database.unit_of_work() as session:
        assert socket_opened(session, charger_id, T0, "node-a") is None


def test_admission_of_an_open_charger_reads_it_once_and_hands_on_its_snapshot(database, writer):
    with database.unit_of_work() as session:
        admission = admit_connection(session, "se1", PLAIN)
        assert admit_connection(session, "nobody", PLAIN) is None
    assert admission.refusal is None
    expected = take_snapshot_of(database, "se1")
    assert (admission.snapshot.id, admission.snapshot.registration_status) == (
        expected.id,
        expected.registration_status,
    )
    assert admission.snapshot.id_tag == expected.id_tag
    assert dict(admission.snapshot.connectors) == dict(expected.connectors)
    assert set(admission.snapshot.connectors) == {1, 2}


def take_snapshot_of(database, name: str):
    with database.unit_of_work() as session:
        return take_snapshot(session, name)
