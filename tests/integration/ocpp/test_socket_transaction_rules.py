"""OCPP 1.6 transaction rules over a live socket: ConcurrentTx belongs to StartTransaction
only, and only for an idTag charging elsewhere; a new start on a connector closes the session
whose StopTransaction was lost."""

import uuid

import pytest
from ocpp.v16 import call
from sqlalchemy import select

from domain.models import Charger, StatusLog, Transaction
from domain.services.id_tags import create_id_tag
from tests.ocpp_client import charger, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def new_tag(live_db) -> str:
    tag = f"T{uuid.uuid4().hex[:12]}"
    with live_db.unit_of_work() as session:
        create_id_tag(session, tag)
    return tag


def start(connector_id, tag, meter_start, timestamp):
    return call.StartTransaction(
        connector_id=connector_id, id_tag=tag, meter_start=meter_start, timestamp=timestamp
    )


def energy_sample(connector_id, transaction_id, wh, timestamp):
    return call.MeterValues(
        connector_id=connector_id,
        transaction_id=transaction_id,
        meter_value=[{"timestamp": timestamp, "sampledValue": [{"value": str(wh)}]}],
    )


def transactions_of(live_db, name):
    with live_db.unit_of_work() as session:
        return session.execute(
            select(Transaction.id, Transaction.status, Transaction.meter_stop)
            .join(Charger, Charger.id == Transaction.charger_id)
            .where(Charger.name == name)
            .order_by(Transaction.id)
        ).all()


def test_authorize_never_answers_concurrent_tx(live_server, live_db):
    name, tag = register_charger(live_db, "auth"), new_tag(live_db)

    async def scenario():
        async with charger(live_server.ws_url(name)) as cp:
            await cp.call(start(1, tag, 0, "2025-05-01T10:00:00Z"))
            return await cp.call(call.Authorize(id_tag=tag))

    assert run(scenario()).id_tag_info["status"] == "Accepted"


def test_a_start_on_a_connector_with_a_lost_stop_closes_that_session_and_is_accepted(
    live_server, live_db
):
    name, tag = register_charger(live_db, "lost"), new_tag(live_db)

    async def scenario():
        async with charger(live_server.ws_url(name)) as cp:
            first = await cp.call(start(1, tag, 100, "2025-05-01T10:00:00Z"))
            await cp.call(energy_sample(1, first.transaction_id, 1500, "2025-05-01T10:30:00Z"))
            # Its StopTransaction was lost; the driver starts again on the same connector.
            second = await cp.call(start(1, tag, 1600, "2025-05-01T12:00:00Z"))
            retried = await cp.call(start(1, tag, 1600, "2025-05-01T12:00:00Z"))
            return first, second, retried

    first, second, retried = run(scenario())
    assert second.id_tag_info["status"] == "Accepted"
    assert retried.transaction_id == second.transaction_id
    assert transactions_of(live_db, name) == [
        (first.transaction_id, "Failed", 1500),
        (second.transaction_id, "Active", None),
    ]
    with live_db.unit_of_work() as session:
        reasons = session.scalars(
            select(StatusLog.message)
            .join(Charger, Charger.id == StatusLog.charger_id)
            .where(Charger.name == name, StatusLog.status == "TransactionFailed")
        ).all()
    assert len(reasons) == 1
    assert f"superseded by transaction {second.transaction_id}" in reasons[0]
    assert "1500 Wh" in reasons[0]


def test_start_answers_concurrent_tx_when_the_tag_charges_at_another_charger(live_server, live_db):
    first_charger, other = register_charger(live_db, "here"), register_charger(live_db, "there")
    tag = new_tag(live_db)

    async def scenario():
        async with charger(live_server.ws_url(first_charger)) as cp:
            await cp.call(start(1, tag, 0, "2025-05-01T10:00:00Z"))
        async with charger(live_server.ws_url(other)) as cp:
            elsewhere = await cp.call(start(1, tag, 0, "2025-05-01T10:05:00Z"))
            other_connector = await cp.call(start(2, tag, 0, "2025-05-01T10:06:00Z"))
            return elsewhere, other_connector

    elsewhere, other_connector = run(scenario())
    assert elsewhere.id_tag_info["status"] == "ConcurrentTx"
    assert other_connector.id_tag_info["status"] == "ConcurrentTx"
    assert [row.status for row in transactions_of(live_db, first_charger)] == ["Active"]
