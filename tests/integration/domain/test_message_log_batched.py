"""The frames a unit of work logs are inserted at its commit, together, or not at all."""

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from domain.models import Direction, OcppMessage
from domain.services.message_log import frame_row, record_frames


def rows(count, charger="CP-1"):
    return [
        frame_row(
            charger_name=charger,
            direction=Direction.IN,
            message_type=2,
            unique_id=str(number),
            action="StatusNotification",
            payload={"number": number},
        )
        for number in range(count)
    ]


def logged(database):
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(OcppMessage))


@pytest.mark.parametrize("database", ["db", "pg_db"])
def test_frames_of_one_unit_of_work_are_inserted_in_one_statement_at_its_commit(database, request):
    database = request.getfixturevalue(database)
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO ocpp_messages"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.unit_of_work() as session:
            record_frames(session, rows(2))
            record_frames(session, rows(3, "CP-2"))
            assert statements == []  # nothing yet: kept for the commit
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert logged(database) == 5
    assert len(statements) == 1


def test_frames_of_a_rolled_back_unit_of_work_are_not_kept(db):
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        record_frames(session, rows(2))
        raise RuntimeError("the unit of work fails")
    # A session rolled back by hand, then used again: what it logged before is gone.
    session = Session(db.engine)
    try:
        record_frames(session, rows(1))
        session.rollback()
        session.commit()
    finally:
        session.close()
    assert logged(db) == 0
