"""An operator's change made on one node reaches the charger's socket on the other (a
CHARGER_CHANGED envelope over Redis): the socket's snapshot follows the registration status."""

from __future__ import annotations

import uuid

import pytest
from ocpp.v16 import call

from domain.models import RegistrationStatus, Role
from domain.services.id_tags import create_id_tag
from domain.services.users import ensure_user
from tests.charger import LiveCharger
from tests.integration.relay.conftest import Api
from tests.ocpp_client import eventually, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ADMIN = ("snapshot-relay-admin", "snapshot-relay-admin-password")


@pytest.fixture(scope="module")
def admin_b(node_b, cluster_db) -> Api:
    with cluster_db.unit_of_work() as session:
        ensure_user(session, *ADMIN, role=Role.ADMIN)
    return Api(node_b, ADMIN)


def good_tag(db) -> str:
    tag = f"R{uuid.uuid4().hex[:12]}"
    with db.unit_of_work() as session:
        create_id_tag(session, tag)
    return tag


def set_registration(admin: Api, name: str, status: str) -> None:
    reply = admin.session.patch(
        f"{admin.base}/api/chargers/{name}/", json={"registration_status": status}, timeout=30
    )
    assert reply.status_code == 200, reply.text


def authorized(charger: LiveCharger, tag: str) -> str:
    return charger.call(call.Authorize(id_tag=tag)).id_tag_info["status"]


def test_registration_changed_on_node_b_reaches_the_socket_on_node_a(node_a, admin_b, cluster_db):
    name = register_charger(
        cluster_db, "snap-relay", registration_status=RegistrationStatus.PENDING
    )
    tag = good_tag(cluster_db)
    with LiveCharger(node_a.ws_url(name), name) as charger:
        assert authorized(charger, tag) == "Invalid"
        set_registration(admin_b, name, "Accepted")
        assert eventually(lambda: authorized(charger, tag) == "Accepted")
        set_registration(admin_b, name, "Pending")
        assert eventually(lambda: authorized(charger, tag) == "Invalid")
