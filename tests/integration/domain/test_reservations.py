"""Reservations as OCPP 1.6 has them: ids belong to one charger, a StartTransaction naming
its reservation uses it up, and a reservation ends at its expiryDate."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import to_wire
from domain.models import Charger, Reservation
from domain.services.command_outcomes import record_answer
from domain.services.commands import create_command
from domain.services.transactions import start_transaction
from tasks.jobs import run_job
from tests.sessions_builder import T0, add_charger

EXPIRY = T0 + timedelta(hours=1)


def reserve(session, charger_name, reservation_id, *, tag="RES-TAG", expiry=EXPIRY):
    payload = {
        "connectorId": 1,
        "expiryDate": to_wire(expiry),
        "idTag": tag,
        "reservationId": reservation_id,
    }
    command, _ = create_command(session, charger_name, "ReserveNow", payload, now=T0)
    record_answer(session, command.id, {"status": "Accepted"}, now=T0)


def start_on(session, charger, reservation_id, *, tag="RES-TAG", at=T0 + timedelta(minutes=5)):
    return start_transaction(
        session,
        charger,
        connector_id=1,
        id_tag=tag,
        meter_start=0,
        timestamp=at,
        reservation_id=reservation_id,
        now=at,
    )


def reservations(db):
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Charger.name, Reservation.reservation_id, Reservation.status)
            .join(Charger, Charger.id == Reservation.charger_id)
            .order_by(Charger.name)
        )
        return [tuple(row) for row in rows]


def test_reservation_ids_are_per_charger(db):
    with db.unit_of_work() as session:
        add_charger(session, "CP-A")
        add_charger(session, "CP-B")
        reserve(session, "CP-A", 1)
        reserve(session, "CP-B", 1)
    assert reservations(db) == [("CP-A", 1, "Active"), ("CP-B", 1, "Active")]


def test_a_start_naming_its_reservation_uses_it_up(db):
    with db.unit_of_work() as session:
        here, _ = add_charger(session, "CP-A"), add_charger(session, "CP-B")
        reserve(session, "CP-A", 7)
        reserve(session, "CP-B", 7)
        start_on(session, here, 7)
    assert reservations(db) == [("CP-A", 7, "Used"), ("CP-B", 7, "Active")]


def test_a_start_after_the_expiry_date_does_not_use_the_reservation(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-A")
        reserve(session, "CP-A", 3)
        start_on(session, charger, 3, at=EXPIRY + timedelta(minutes=1))
    assert reservations(db) == [("CP-A", 3, "Expired")]


def test_reservations_expire_at_their_expiry_date(db, settings):
    with db.unit_of_work() as session:
        add_charger(session, "CP-A")
        add_charger(session, "CP-B")
        reserve(session, "CP-A", 1, expiry=T0 - timedelta(minutes=1))
        reserve(session, "CP-B", 1, expiry=T0 + timedelta(days=3650))
    assert run_job("expire_reservations", db, settings, {}) == {"expired": 1}
    assert reservations(db) == [("CP-A", 1, "Expired"), ("CP-B", 1, "Active")]


@pytest.mark.postgres
def test_reservation_ids_are_per_charger_on_postgres(pg_db):
    test_reservation_ids_are_per_charger(pg_db)
