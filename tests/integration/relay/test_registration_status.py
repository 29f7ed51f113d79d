"""Registration status on the command path (OCPP 1.6 section 4.2): a Pending charger gets no
RemoteStart/RemoteStopTransaction, queued commands wait for an Accepted boot, and accepting a
Pending charger asks it to boot again with TriggerMessage(BootNotification)."""

from __future__ import annotations

import pytest
from ocpp.v16 import call

from domain.db import Database
from domain.models import RegistrationStatus, Role
from domain.services.users import ensure_user
from tests.charger import LiveCharger
from tests.integration.relay.conftest import NODE_ENV, OPERATOR, Api
from tests.live_server import LiveServer
from tests.ocpp_client import eventually, register_charger

pytestmark = pytest.mark.slow

ADMIN = ("registration-admin", "registration-admin-password")
BOOT = call.BootNotification(charge_point_vendor="Voltline", charge_point_model="RelayTest")
TRIGGER_BOOT = {"requestedMessage": "BootNotification"}


@pytest.fixture(scope="module")
def server():
    with LiveServer(NODE_ENV) as live:
        yield live


@pytest.fixture(scope="module")
def db(server):
    database = Database(f"sqlite:///{server.instance_path / 'voltline.db'}")
    with database.unit_of_work() as session:
        ensure_user(session, *OPERATOR, role=Role.OPERATOR)
        ensure_user(session, *ADMIN, role=Role.ADMIN)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def api(server, db) -> Api:
    return Api(server, OPERATOR)


@pytest.fixture(scope="module")
def admin(server, db) -> Api:
    return Api(server, ADMIN)


def command_status(api: Api, command_id: str) -> str:
    return api.get(f"/api/commands/{command_id}").json()["status"]


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("RemoteStartTransaction", {"idTag": "TAG1"}),
        ("RemoteStopTransaction", {"transactionId": 1}),
    ],
)
def test_a_pending_charger_gets_no_remote_start_or_stop(server, api, db, action, payload):
    name = register_charger(db, "pending-remote", registration_status=RegistrationStatus.PENDING)
    with LiveCharger(server.ws_url(name), name) as charger:
        refused = api.command(name, action, payload)
        allowed = api.command(name, "GetConfiguration", {})

        assert refused.status_code == 409
        assert "Pending" in refused.json()["message"]
        assert (allowed.status_code, allowed.json()["status"]) == (200, "Completed")
        assert action not in [sent for _, sent, _ in charger.received]


def test_the_original_send_command_relay_refuses_remote_start_to_a_pending_charger(server, api, db):
    name = register_charger(db, "pending-legacy", registration_status=RegistrationStatus.PENDING)
    with LiveCharger(server.ws_url(name), name):
        reply = api.session.post(
            f"{api.base}/api/chargers/{name}/send-command/",
            json={"command": {"action": "StartRemoteTransaction", "req_data": {"idTag": "T1"}}},
            timeout=30,
        )
    assert reply.status_code == 409
    assert "Pending" in reply.json()["message"]


def test_queued_commands_wait_for_an_accepted_boot_and_accepting_triggers_one(
    server, api, admin, db
):
    name = register_charger(db, "pending-queue", registration_status=RegistrationStatus.PENDING)
    queued = api.command(name, "ChangeConfiguration", {"key": "A", "value": "1"}, queue_ttl=300)
    assert queued.status_code == 202
    queued_id = queued.json()["id"]

    with LiveCharger(server.ws_url(name), name) as charger:  # boots: answered Pending
        charger.call(call.Heartbeat())
        accepted = admin.session.patch(
            f"{admin.base}/api/chargers/{name}/",
            json={"registration_status": "Accepted"},
            timeout=30,
        )
        assert accepted.status_code == 200
        trigger = eventually(
            lambda: [entry for entry in charger.received if entry[1] == "TriggerMessage"]
        )
        assert [payload for _, _, payload in trigger] == [TRIGGER_BOOT]
        assert queued_id not in [unique_id for unique_id, _, _ in charger.received]

        assert charger.call(BOOT).status == "Accepted"
        assert eventually(lambda: command_status(api, queued_id) == "Accepted")
        order = [unique_id for unique_id, _, _ in charger.received]
    assert order.index(trigger[0][0]) < order.index(queued_id)


def test_a_charger_that_reconnects_without_booting_gets_its_queue_after_its_first_message(
    server, api, db
):
    name = register_charger(db, "reconnect-queue")
    queued_id = api.command(name, "ClearCache", {}, queue_ttl=300).json()["id"]
    with LiveCharger(server.ws_url(name), name, boot=False) as charger:
        charger.call(call.Heartbeat())
        assert eventually(lambda: command_status(api, queued_id) == "Accepted")
        assert queued_id in [unique_id for unique_id, _, _ in charger.received]
