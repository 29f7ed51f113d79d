"""AuthorizationKey rotation as one flow (OCPP 1.6 security whitepaper): the stored key
switches when the charger accepts ChangeConfiguration(AuthorizationKey), the old key works
until the new one's first login and never after, and no key value is kept anywhere."""

from __future__ import annotations

import json

import pytest
from ocpp.v16 import call_result
from sqlalchemy import select

from domain.models import Charger, ConfigurationKey, OcppMessage
from tests.charger import LiveCharger
from tests.integration.tls.handshake import OPENED, handshake
from tests.ocpp_client import basic_auth, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OLD_KEY = "00112233445566778899aabbccddeeff00112233"
CHOSEN_KEY = "FFEEDDCCBBAA99887766554433221100FFEEDDCC"


def test_rotate_route_switches_the_key_and_the_old_one_works_until_the_new_ones_first_login(
    ws_node, ws_api, tls_db
):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    with LiveCharger(ws_node.ws_url(name), name, headers=basic_auth(name, OLD_KEY)) as charger:
        answer = ws_api.post(f"/api/chargers/{name}/authorization-key/rotate/")
        sent = [payload for _id, _action, payload in charger.received]
    assert answer.status_code == 200, answer.text
    new_key = answer.json()["authorization_key"]
    assert answer.json()["status"] == "Accepted" and len(new_key) == 40
    assert sent == [{"key": "AuthorizationKey", "value": new_key}]
    _assert_old_key_retired_by_first_login_with(ws_node, name, new_key)
    _assert_key_stored_nowhere(ws_api, tls_db, name, new_key, answer.json()["command_id"])


def test_change_configuration_through_the_commands_route_switches_the_key_the_same_way(
    ws_node, ws_api, tls_db
):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    with LiveCharger(ws_node.ws_url(name), name, headers=basic_auth(name, OLD_KEY)):
        answer = ws_api.post(
            f"/api/chargers/{name}/commands/ChangeConfiguration",
            {"key": "AuthorizationKey", "value": CHOSEN_KEY},
        )
    assert answer.status_code == 200 and answer.json()["status"] == "Accepted"
    _assert_old_key_retired_by_first_login_with(ws_node, name, CHOSEN_KEY)
    _assert_key_stored_nowhere(ws_api, tls_db, name, CHOSEN_KEY, answer.json()["id"])


def test_a_rotated_key_is_also_accepted_as_the_whitepapers_raw_bytes(ws_node, ws_api, tls_db):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    with LiveCharger(ws_node.ws_url(name), name, headers=basic_auth(name, OLD_KEY)):
        answer = ws_api.post(
            f"/api/chargers/{name}/authorization-key/rotate/", {"authorization_key": CHOSEN_KEY}
        )
    assert answer.json()["status"] == "Accepted"
    assert handshake(ws_node.ws_url(name), key=bytes.fromhex(CHOSEN_KEY)) == OPENED
    assert handshake(ws_node.ws_url(name), key=OLD_KEY) == 401


def test_a_rejected_key_change_keeps_the_old_key(ws_node, ws_api, tls_db):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    with LiveCharger(ws_node.ws_url(name), name, headers=basic_auth(name, OLD_KEY)) as charger:
        charger.cp.answers["ChangeConfiguration"] = call_result.ChangeConfiguration(
            status="Rejected"
        )
        answer = ws_api.post(
            f"/api/chargers/{name}/authorization-key/rotate/", {"authorization_key": CHOSEN_KEY}
        )
    assert answer.status_code == 200 and answer.json()["status"] == "Rejected"
    assert handshake(ws_node.ws_url(name), key=CHOSEN_KEY) == 401
    assert handshake(ws_node.ws_url(name), key=OLD_KEY) == OPENED


def test_rotating_the_key_of_an_offline_charger_answers_409_and_changes_nothing(
    ws_node, ws_api, tls_db
):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    answer = ws_api.post(f"/api/chargers/{name}/authorization-key/rotate/")
    assert answer.status_code == 409
    commands = ws_api.get("/api/commands/", charger=name).json()
    assert [command["status"] for command in commands] == ["Offline"]
    assert handshake(ws_node.ws_url(name), key=OLD_KEY) == OPENED


def test_keys_that_break_the_whitepapers_rules_are_refused(ws_api, tls_db):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    for bad in ("0123456789abcdef", "g" * 40, "0123456789abcdef0123456789abcdef012"):
        answer = ws_api.post(
            f"/api/chargers/{name}/authorization-key/rotate/", {"authorization_key": bad}
        )
        assert answer.status_code == 422, bad
    queued = ws_api.post(
        f"/api/chargers/{name}/commands/ChangeConfiguration?queue_ttl=60",
        {"key": "AuthorizationKey", "value": CHOSEN_KEY},
    )
    assert queued.status_code == 422
    short = ws_api.post(
        f"/api/chargers/{name}/commands/ChangeConfiguration",
        {"key": "AuthorizationKey", "value": "too-short"},
    )
    assert short.status_code == 422
    assert ws_api.get("/api/commands/", charger=name).json() == []


def test_provisioning_an_offline_chargers_key_takes_effect_at_once(ws_node, ws_api, tls_db):
    name = register_charger(tls_db, "prov", security_profile=1, authorization_key=OLD_KEY)
    provisioned = {"authorization_key": "x" * 16}
    answer = ws_api.post(f"/api/chargers/{name}/authorization-key/", provisioned)
    assert answer.status_code == 200
    assert handshake(ws_node.ws_url(name), key="x" * 16) == OPENED
    assert handshake(ws_node.ws_url(name), key=OLD_KEY) == 401


def _assert_old_key_retired_by_first_login_with(server, name: str, new_key: str) -> None:
    url = server.ws_url(name)
    assert handshake(url, key=OLD_KEY) == OPENED  # the charger may not have reconnected yet
    assert handshake(url, key=new_key) == OPENED
    assert handshake(url, key=OLD_KEY) == 401
    assert handshake(url, key=new_key) == OPENED


def _assert_key_stored_nowhere(
    api, database, name: str, key: str, command_id: str, payload=None
) -> None:
    command = api.get(f"/api/commands/{command_id}").json()
    redacted = {"key": "AuthorizationKey", "value": "<redacted>"}
    assert command["payload"] == (redacted if payload is None else payload)
    assert key.lower() not in json.dumps(command).lower()
    with database.unit_of_work() as session:
        charger_id = session.scalar(select(Charger.id).where(Charger.name == name))
        logged = session.scalars(
            select(OcppMessage.payload).where(OcppMessage.charger_name == name)
        ).all()
        stored = session.scalars(
            select(ConfigurationKey.value).where(ConfigurationKey.charger_id == charger_id)
        ).all()
    assert logged and key.lower() not in json.dumps(logged).lower()
    assert stored == ["<redacted>"]
    assert key.lower() not in api.get(f"/api/chargers/{name}/messages/").text.lower()


def test_a_key_a_charger_reports_in_get_configuration_is_kept_nowhere(ws_node, ws_api, tls_db):
    name = register_charger(tls_db, "rot", security_profile=1, authorization_key=OLD_KEY)
    reported = call_result.GetConfiguration(
        configuration_key=[{"key": "AuthorizationKey", "readonly": False, "value": OLD_KEY}]
    )
    with LiveCharger(ws_node.ws_url(name), name, headers=basic_auth(name, OLD_KEY)) as charger:
        charger.cp.answers["GetConfiguration"] = reported
        answer = ws_api.post(f"/api/chargers/{name}/commands/GetConfiguration", {})
    assert answer.status_code == 200
    assert answer.json()["response"]["configurationKey"][0]["value"] == "<redacted>"
    _assert_key_stored_nowhere(ws_api, tls_db, name, OLD_KEY, answer.json()["id"], payload={})
