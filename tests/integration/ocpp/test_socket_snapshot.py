"""The socket answers from its snapshot of the charger (identity, registration status,
connectors) and an operator's change reaches it: answers stay exactly what a lookup per
message would give."""

import uuid

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v16 import call
from sqlalchemy import select, update

from domain.models import Charger, ChargerStatus, Connector, RegistrationStatus, Role
from domain.services.id_tags import create_id_tag
from domain.services.users import ensure_user
from tests.charger import LiveCharger
from tests.integration.relay.conftest import Api
from tests.ocpp_client import register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ADMIN = ("snapshot-admin", "snapshot-admin-password")
START = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-30T12:00:00Z"}


@pytest.fixture(scope="module")
def admin(live_server, live_db) -> Api:
    with live_db.unit_of_work() as session:
        ensure_user(session, *ADMIN, role=Role.ADMIN)
    return Api(live_server, ADMIN)


def good_tag(live_db) -> str:
    tag = f"S{uuid.uuid4().hex[:12]}"
    with live_db.unit_of_work() as session:
        create_id_tag(session, tag)
    return tag


def patch(admin: Api, name: str, **changes):
    reply = admin.session.patch(f"{admin.base}/api/chargers/{name}/", json=changes, timeout=30)
    assert reply.status_code == 200, reply.text


def authorize(charger: LiveCharger, tag: str) -> dict:
    return charger.call(call.Authorize(id_tag=tag)).id_tag_info


def test_accepting_a_pending_charger_while_connected_authorizes_its_next_tag(
    live_server, live_db, admin
):
    name = register_charger(live_db, "snap-accept", registration_status=RegistrationStatus.PENDING)
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        assert authorize(charger, tag) == {"status": "Invalid"}
        patch(admin, name, registration_status="Accepted")
        assert authorize(charger, tag)["status"] == "Accepted"


def test_setting_an_accepted_charger_pending_while_connected_makes_its_next_tag_invalid(
    live_server, live_db, admin
):
    name = register_charger(live_db, "snap-pending")
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        assert authorize(charger, tag)["status"] == "Accepted"
        patch(admin, name, registration_status="Pending")
        assert authorize(charger, tag) == {"status": "Invalid"}
        patch(admin, name, location="Depot 7")  # any change: the snapshot stays true
        assert authorize(charger, tag) == {"status": "Invalid"}


def test_a_registration_changed_without_its_event_is_picked_up_at_the_next_boot(
    live_server, live_db
):
    name = register_charger(live_db, "snap-boot", registration_status=RegistrationStatus.PENDING)
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        assert authorize(charger, tag) == {"status": "Invalid"}
        with live_db.unit_of_work() as session:  # no ChargerChanged reaches the socket
            session.execute(
                update(Charger)
                .where(Charger.name == name)
                .values(registration_status=RegistrationStatus.ACCEPTED)
            )
        assert charger.boot().status == "Accepted"
        assert authorize(charger, tag)["status"] == "Accepted"


def test_deleting_a_connected_charger_is_refused_and_its_socket_goes_on(
    live_server, live_db, admin
):
    name = register_charger(live_db, "snap-del-refused")
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        reply = admin.session.delete(f"{admin.base}/api/chargers/{name}/", timeout=30)
        assert reply.status_code == 409
        assert authorize(charger, tag)["status"] == "Accepted"


def test_a_charger_deleted_while_its_socket_is_open_gets_security_error(
    live_server, live_db, admin
):
    name = register_charger(live_db, "snap-deleted")
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        assert authorize(charger, tag)["status"] == "Accepted"
        with live_db.unit_of_work() as session:  # the sweep marked it gone meanwhile
            session.execute(
                update(Charger)
                .where(Charger.name == name)
                .values(status=ChargerStatus.DISCONNECTED)
            )
        reply = admin.session.delete(f"{admin.base}/api/chargers/{name}/", timeout=30)
        assert reply.status_code == 204
        with pytest.raises(SecurityError):
            charger.call(call.Authorize(id_tag=tag))
        with pytest.raises(SecurityError):
            charger.start(1, tag, 0)


def test_a_connector_first_named_by_start_transaction_takes_the_later_messages(
    live_server, live_db
):
    name = register_charger(live_db, "snap-new-connector")
    tag = good_tag(live_db)
    with LiveCharger(live_server.ws_url(name), name) as charger:
        started = charger.start(3, tag, 100)
        charger.stop(started.transaction_id, 900)
        again = charger.start(3, tag, 900)
    with live_db.unit_of_work() as session:
        connectors = session.scalars(
            select(Connector.connector_id)
            .join(Charger, Charger.id == Connector.charger_id)
            .where(Charger.name == name)
            .order_by(Connector.connector_id)
        ).all()
    assert connectors == [1, 2, 3]
    assert again.transaction_id != started.transaction_id
