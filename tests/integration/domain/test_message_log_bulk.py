"""The write-behind's bulk insert of message-log rows (one statement on PostgreSQL) stores
exactly what the ordinary insert stores, whatever a charger put in its frames, also with
psycopg2 in green mode (a wait callback, as gunicorn's gevent workers run it: COPY, for
one, is refused there)."""

from datetime import UTC, datetime

import psycopg2.extensions
import psycopg2.extras
import pytest
from ocpp.messages import MessageType
from sqlalchemy import text

from domain.models import Direction
from domain.services.message_log import frame_row, insert_frames_in_bulk, record_frames

AT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
AWKWARD = 'tab\there\nnew\rline \\ back\\slash \\N é ☃ "quoted"'


ROWS = [
    frame_row(
        charger_name="bulk-1",
        direction=Direction.IN,
        message_type=MessageType.Call,
        unique_id="hb",
        action="Heartbeat",
        payload={},
        at=AT,
    ),
    frame_row(
        charger_name="bulk-1",
        direction=Direction.OUT,
        message_type=3,
        unique_id="hb",
        action="Heartbeat",
        payload={"currentTime": "2026-11-30T12:00:00.123Z"},
        at=AT,
    ),
    frame_row(
        charger_name="bulk-1",
        direction=Direction.IN,
        message_type=2,
        unique_id=AWKWARD,
        action="DataTransfer",
        payload={"vendorId": AWKWARD, "data": [1, 2.5, None, True, {"k": AWKWARD}]},
        source="api",
        at=AT,
    ),
    frame_row(
        charger_name="bulk-1",
        direction=Direction.IN,
        message_type=0,
        unique_id=None,
        action=None,
        payload=f"[2, {AWKWARD}",
        at=datetime(2026, 11, 30, 12, 0),  # naive: taken as UTC
    ),
    frame_row(
        charger_name="bulk-1",
        direction=Direction.IN,
        message_type=0,
        unique_id="",
        action=None,
        payload=None,
        at=AT,
    ),
]


@pytest.fixture
def green_pg_db(pg_db):
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)
    try:
        yield pg_db
    finally:
        psycopg2.extensions.set_wait_callback(None)


def stored(database) -> list[tuple]:
    with database.unit_of_work() as session:
        return [
            tuple(row)
            for row in session.execute(
                text(
                    "SELECT charger_name, direction, message_type, unique_id, action, "
                    "CAST(payload AS TEXT), source, created_at FROM ocpp_messages ORDER BY id"
                )
            )
        ]


@pytest.mark.parametrize("backend", ["pg_db", "green_pg_db", "db"])
def test_bulk_inserted_rows_are_stored_as_the_ordinary_insert_stores_them(request, backend):
    database = request.getfixturevalue(backend)
    with database.unit_of_work() as session:
        record_frames(session, ROWS)
    ordinary = stored(database)
    with database.unit_of_work() as session:
        session.execute(text("DELETE FROM ocpp_messages"))
    with database.unit_of_work() as session:
        insert_frames_in_bulk(session, ROWS)
    assert stored(database) == ordinary
    assert len(ordinary) == 5


def test_a_bulk_insert_of_nothing_writes_nothing(pg_db):
    with pg_db.unit_of_work() as session:
        insert_frames_in_bulk(session, [])
    assert stored(pg_db) == []
