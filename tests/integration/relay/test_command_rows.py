"""The command row as `create_command` and the outcome write it (Core statements) and as
their callers get it, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.models import Command, CommandStatus
from domain.services.command_outcomes import record_answer, record_outcome
from domain.services.commands import create_command, get_command
from tests.ocpp_client import register_charger

# Every column of the command and its charger's name, as a reader loads them.
READ_BACK = (*Command.__table__.columns.keys(), "charger_name")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def test_a_new_command_is_stored_pending_with_no_answer_and_returned_as_stored(database):
    name = register_charger(database, "rows")
    with database.unit_of_work() as session:
        made, created = create_command(session, name, "ClearCache", {}, requested_by="op")
    with database.unit_of_work() as session:
        stored = get_command(session, made.id)
        unanswered = session.scalars(select(Command.id).where(Command.response.is_(None)))
        assert made.id in set(unanswered)
    assert created
    assert (made.charger_name, made.status, made.sent_at) == (name, CommandStatus.PENDING, None)
    for field in ("action", "payload", "status", "requested_by", "created_at", "sent_at"):
        assert getattr(made, field) == getattr(stored, field), field


def test_a_claimed_command_is_stored_sent_at_its_creation(database):
    name = register_charger(database, "rows")
    with database.unit_of_work() as session:
        made, _ = create_command(session, name, "ClearCache", {}, claimed=True)
    with database.unit_of_work() as session:
        stored = get_command(session, made.id)
    assert (stored.status, stored.sent_at) == (CommandStatus.SENT, stored.created_at)
    assert (made.status, made.sent_at) == (stored.status, stored.sent_at)


def test_an_outcome_without_an_answer_is_returned_as_stored_and_its_response_stays_null(
    database,
):
    name = register_charger(database, "rows")
    with database.unit_of_work() as session:
        made, _ = create_command(session, name, "ClearCache", {}, claimed=True)
    with database.unit_of_work() as session:
        recorded = record_outcome(session, made.id, CommandStatus.TIMEOUT, error_description="late")
    with database.unit_of_work() as session:
        stored = get_command(session, made.id)
        unanswered = set(session.scalars(select(Command.id).where(Command.response.is_(None))))
    assert made.id in unanswered
    assert (recorded.status, recorded.error_description) == (CommandStatus.TIMEOUT, "late")
    assert recorded.completed_at is not None and recorded.completed_at.tzinfo is not None
    for field in READ_BACK:
        assert getattr(recorded, field) == getattr(stored, field), field


def test_an_answer_is_returned_as_stored_and_a_second_outcome_changes_nothing(database):
    name = register_charger(database, "rows")
    with database.unit_of_work() as session:
        made, _ = create_command(session, name, "ClearCache", {}, claimed=True)
    with database.unit_of_work() as session:
        recorded = record_answer(session, made.id, {"status": "Accepted"})
        assert record_outcome(session, made.id, CommandStatus.TIMEOUT) is None
    with database.unit_of_work() as session:
        stored = get_command(session, made.id)
    assert (stored.status, stored.response) == ("Accepted", {"status": "Accepted"})
    for field in READ_BACK:
        assert getattr(recorded, field) == getattr(stored, field), field
