"""The command service: row first, one outcome, conditional moves, queue, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import utcnow
from domain.errors import Conflict, InvalidInput, NotFound
from domain.models import Command, CommandStatus, RegistrationStatus, Transaction
from domain.queries.commands import list_commands
from domain.queries.paging import PageRequest
from domain.services.chargers import create_charger, get_charger
from domain.services.command_outcomes import (
    expire_overdue_commands,
    record_answer,
    record_outcome,
)
from domain.services.commands import (
    claim_for_sending,
    create_command,
    get_command,
    queue_command,
    queued_commands,
)
from domain.services.transactions import start_transaction

RESET = {"type": "Soft"}


@pytest.fixture
def charger(db):
    with db.unit_of_work() as session:
        create_charger(session, "CP-1", connector_ids=(1, 2))
    return "CP-1"


def new_command(db, action="Reset", payload=RESET, **options) -> str:
    with db.unit_of_work() as session:
        command, created = create_command(session, "CP-1", action, payload, **options)
        assert created
        return command.id


def test_new_command_is_a_pending_row_with_its_payload(db, charger):
    command_id = new_command(db, requested_by="ops")
    with db.unit_of_work() as session:
        command = get_command(session, command_id)
        assert (command.status, command.action, command.payload) == ("Pending", "Reset", RESET)
        assert command.requested_by == "ops"


def test_charger_initiated_action_is_not_a_command(db, charger):
    with pytest.raises(InvalidInput), db.unit_of_work() as session:
        create_command(session, "CP-1", "BootNotification", {})
    with db.unit_of_work() as session:
        assert list_commands(session, PageRequest()).total == 0


def test_unknown_charger_is_not_found(db, charger):
    with pytest.raises(NotFound), db.unit_of_work() as session:
        create_command(session, "nope", "Reset", RESET)


def test_same_idempotency_key_returns_the_same_command(db, charger):
    first = new_command(db, requested_by="ops", idempotency_key="k1")
    with db.unit_of_work() as session:
        again, created = create_command(
            session, "CP-1", "Reset", RESET, requested_by="ops", idempotency_key="k1"
        )
        assert (again.id, created) == (first, False)
        other_user, created = create_command(
            session, "CP-1", "Reset", RESET, requested_by="bob", idempotency_key="k1"
        )
        assert created and other_user.id != first


def test_idempotency_key_reused_for_another_command_conflicts(db, charger):
    new_command(db, requested_by="ops", idempotency_key="k1")
    with pytest.raises(Conflict), db.unit_of_work() as session:
        create_command(
            session, "CP-1", "Reset", {"type": "Hard"}, requested_by="ops", idempotency_key="k1"
        )


def test_late_answer_cannot_overwrite_a_timeout(db, charger):
    command_id = new_command(db)
    with db.unit_of_work() as session:
        assert claim_for_sending(session, command_id)
        assert record_outcome(session, command_id, CommandStatus.TIMEOUT) is not None
    with db.unit_of_work() as session:
        assert record_answer(session, command_id, {"status": "Accepted"}) is None
        assert get_command(session, command_id).status == "Timeout"


def test_answer_status_word_and_full_response_are_recorded(db, charger):
    command_id = new_command(db)
    with db.unit_of_work() as session:
        claim_for_sending(session, command_id)
        record_answer(session, command_id, {"status": "Rejected"})
    with db.unit_of_work() as session:
        command = get_command(session, command_id)
        assert (command.status, command.response) == ("Rejected", {"status": "Rejected"})
        assert command.completed_at is not None and command.error_description is None


def test_answer_without_status_word_is_completed(db, charger):
    command_id = new_command(db, "GetDiagnostics", {"location": "ftp://x/"})
    with db.unit_of_work() as session:
        record_answer(session, command_id, {"fileName": "diag.zip"})
        assert get_command(session, command_id).status == "Completed"


def test_answer_breaking_the_schema_is_recorded_with_the_violation(db, charger):
    command_id = new_command(db)
    with db.unit_of_work() as session:
        record_answer(session, command_id, {"status": "Maybe"}, violations=["status: no"])
        command = get_command(session, command_id)
        assert command.status == "Maybe"
        assert command.error_description == "answer breaks the OCPP 1.6 schema: status: no"


def test_command_is_claimed_for_sending_only_once(db, charger):
    command_id = new_command(db)
    with db.unit_of_work() as session:
        assert claim_for_sending(session, command_id)
        assert not claim_for_sending(session, command_id)


def test_queued_commands_come_oldest_first_and_expire(db, charger):
    start = utcnow()
    ids = [new_command(db, queue_ttl=60, now=start + timedelta(seconds=i)) for i in range(3)]
    with db.unit_of_work() as session:
        assert all(queue_command(session, command_id) for command_id in ids)
        assert queued_commands(session, "CP-1", now=start) == ids
    later = start + timedelta(seconds=61.5)
    with db.unit_of_work() as session:
        assert not claim_for_sending(session, ids[0], now=later)
        finished = expire_overdue_commands(session, sent_timeout=30, pending_timeout=30, now=later)
        assert [command.id for command in finished] == ids[:2]
        assert {get_command(session, i).status for i in ids[:2]} == {"Expired"}
        assert get_command(session, ids[2]).status == "Queued"


def test_command_without_ttl_cannot_be_queued(db, charger):
    command_id = new_command(db)
    with db.unit_of_work() as session:
        assert not queue_command(session, command_id)


def test_queueing_again_keeps_a_queued_command_queued_but_not_a_sent_one(db, charger):
    command_id = new_command(db, queue_ttl=60)
    with db.unit_of_work() as session:
        assert queue_command(session, command_id) and queue_command(session, command_id)
        assert claim_for_sending(session, command_id)
        assert not queue_command(session, command_id)


def test_stranded_sent_and_pending_commands_get_an_outcome(db, charger):
    sent, pending = new_command(db), new_command(db)
    with db.unit_of_work() as session:
        claim_for_sending(session, sent)
    later = utcnow() + timedelta(seconds=120)
    with db.unit_of_work() as session:
        expire_overdue_commands(session, sent_timeout=60, pending_timeout=60, now=later)
        assert get_command(session, sent).status == "Timeout"
        assert get_command(session, pending).status == "Offline"
        assert session.query(Command).filter(Command.completed_at.is_(None)).count() == 0


def test_commands_list_filters_by_charger_action_and_status(db, charger):
    new_command(db)
    new_command(db, "ClearCache", {})
    with db.unit_of_work() as session:
        create_charger(session, "CP-2")
        assert list_commands(session, PageRequest(), charger="CP-1").total == 2
        assert list_commands(session, PageRequest(), charger="CP-2").total == 0
        page = list_commands(session, PageRequest(), action="ClearCache", status="Pending")
        assert page.total == 1 and page.items[0].action == "ClearCache"
        assert page.items[0].charger.name == "CP-1"


def test_answer_whose_side_effects_failed_is_recorded_without_them(db, charger):
    command_id = new_command(db, "GetLocalListVersion", {})
    with db.unit_of_work() as session:
        record_answer(session, command_id, {"listVersion": 9}, effects_failed="IntegrityError")
    with db.unit_of_work() as session:
        command = get_command(session, command_id)
        assert (command.status, command.response) == ("Completed", {"listVersion": 9})
        assert command.error_description == "side effects not kept: IntegrityError"
        assert command.charger.local_list_version is None


def start(db, connector_id: int, id_tag: str, minute: int) -> Transaction:
    with db.unit_of_work() as session:
        started = start_transaction(
            session,
            get_charger(session, "CP-1"),
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=0,
            timestamp=datetime(2030, 1, 1, 8, minute, tzinfo=UTC),
            reservation_id=None,
            now=utcnow(),
        )
        return session.get(Transaction, started.transaction_id)


def test_one_accepted_remote_start_marks_one_transaction_remote(db, charger):
    command_id = new_command(db, "RemoteStartTransaction", {"idTag": "TAG", "connectorId": 2})
    with db.unit_of_work() as session:
        claim_for_sending(session, command_id)
        record_answer(session, command_id, {"status": "Accepted"})

    other_connector = start(db, 1, "TAG", 0)
    remote = start(db, 2, "TAG", 1)
    again = start(db, 2, "TAG", 2)

    assert [t.type for t in (other_connector, remote, again)] == ["Charger", "Remote", "Charger"]


def test_start_arriving_before_the_remote_start_answer_is_still_remote(db, charger):
    command_id = new_command(db, "RemoteStartTransaction", {"idTag": "TAG"})
    with db.unit_of_work() as session:
        claim_for_sending(session, command_id)

    assert start(db, 1, "TAG", 0).type == "Remote"


def test_rejected_remote_start_marks_nothing(db, charger):
    command_id = new_command(db, "RemoteStartTransaction", {"idTag": "TAG"})
    with db.unit_of_work() as session:
        record_answer(session, command_id, {"status": "Rejected"})

    assert start(db, 1, "TAG", 0).type == "Charger"


def test_rejected_charger_may_not_be_sent_commands(db, charger):
    with db.unit_of_work() as session:
        create_charger(session, "CP-REJ", registration_status=RegistrationStatus.REJECTED)
    with pytest.raises(Conflict), db.unit_of_work() as session:
        create_command(session, "CP-REJ", "Reset", RESET)
