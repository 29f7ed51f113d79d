"""The command row as `create_command` writes it (a Core insert) and as its caller gets it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.models import Command, CommandStatus
from domain.services.commands import create_command, get_command
from tests.ocpp_client import register_charger


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
    assert (made.charger.name, made.status, made.sent_at) == (name, CommandStatus.PENDING, None)
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
