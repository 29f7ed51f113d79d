"""A charger whose registration is Pending or Rejected may not send Authorize or transaction
messages (OCPP 1.6 section 4.2). If it does, nothing about energy is lost: every transaction
message is recorded and confirmed, but the central system vouches for no idTag to it."""

import uuid

import pytest
from ocpp.v16 import call
from sqlalchemy import func, select

from domain.models import Charger, MeterValue, RegistrationStatus, Transaction
from domain.services.id_tags import create_id_tag
from tests.ocpp_client import charger, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NOT_ACCEPTED = [RegistrationStatus.PENDING, RegistrationStatus.REJECTED]


def good_tag(live_db) -> str:
    tag = f"G{uuid.uuid4().hex[:12]}"
    with live_db.unit_of_work() as session:
        create_id_tag(session, tag)
    return tag


@pytest.mark.parametrize("registration", NOT_ACCEPTED)
def test_authorize_from_a_charger_not_accepted_is_invalid(live_server, live_db, registration):
    name = register_charger(live_db, "unacc-auth", registration_status=registration)
    tag = good_tag(live_db)

    async def scenario():
        async with charger(live_server.ws_url(name)) as cp:
            return await cp.call(call.Authorize(id_tag=tag))

    assert run(scenario()).id_tag_info == {"status": "Invalid"}


@pytest.mark.parametrize("registration", NOT_ACCEPTED)
def test_a_session_from_a_charger_not_accepted_is_recorded_whole_but_not_authorised(
    live_server, live_db, registration
):
    name = register_charger(live_db, "unacc-tx", registration_status=registration)
    tag = good_tag(live_db)

    async def scenario():
        async with charger(live_server.ws_url(name)) as cp:
            started = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag=tag, meter_start=100, timestamp="2025-06-01T10:00:00Z"
                )
            )
            await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=started.transaction_id,
                    meter_value=[
                        {"timestamp": "2025-06-01T10:30:00Z", "sampledValue": [{"value": "900"}]}
                    ],
                )
            )
            stopped = await cp.call(
                call.StopTransaction(
                    transaction_id=started.transaction_id,
                    meter_stop=1500,
                    timestamp="2025-06-01T11:00:00Z",
                    id_tag=tag,
                )
            )
            return started, stopped

    started, stopped = run(scenario())
    assert started.id_tag_info == {"status": "Invalid"}
    assert stopped.id_tag_info == {"status": "Invalid"}
    with live_db.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        recorded = session.execute(
            select(
                Transaction.id, Transaction.status, Transaction.meter_start, Transaction.meter_stop
            ).where(Transaction.charger_id == charger_id)
        ).all()
        samples = session.scalar(
            select(func.count()).select_from(MeterValue).where(MeterValue.charger_id == charger_id)
        )
    assert [tuple(row) for row in recorded] == [(started.transaction_id, "Completed", 100, 1500)]
    assert samples == 1
