"""Certificate management (OCPP 1.6 security extension): SignCertificate signed by the
central system's CA and answered with CertificateSigned through the command relay, the
charger's certificate kept on its record, and renewals asked for before it runs out."""

from __future__ import annotations

import tempfile
from datetime import timedelta

import pytest
from cryptography import x509
from ocpp.v16 import call

from domain.clock import utcnow
from domain.models import ChargerStatus
from domain.services.certificate_requests import request_certificate_renewals
from domain.services.chargers import get_charger
from domain.settings import Settings
from tasks.jobs import request_certificate_renewals as renewal_job
from tests.charger import LiveCharger
from tests.integration.tls.handshake import OPENED, handshake
from tests.live_server import TEST_JWT_SECRET, LiveServer
from tests.ocpp_client import basic_auth, eventually, register_charger
from tests.pki import csr_for, write_key_and_chain
from tests.services import require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KEY = "0123456789abcdef0123456789abcdef01234567"


def test_sign_certificate_round_trip_gives_a_certificate_that_opens_security_profile_3(
    wss_node, wss_api, tls_db, pki
):
    name = register_charger(tls_db, "cert", security_profile=2, authorization_key=KEY)
    csr, key = csr_for(name)
    url = wss_node.ws_url(name)
    with LiveCharger(url, name, headers=basic_auth(name, KEY), ssl=pki.context()) as charger:
        assert charger.call(call.SignCertificate(csr=csr)).status == "Accepted"
        received = eventually(
            lambda: [p for _id, action, p in charger.received if action == "CertificateSigned"]
        )
        commands = eventually(lambda: _final_commands(wss_api, name, "CertificateSigned"))
    chain = received[0]["certificateChain"]
    leaf, authority = x509.load_pem_x509_certificates(chain.encode())
    assert leaf.subject.rfc4514_string() == f"CN={name}"
    assert authority == pki.charger_ca.certificate
    leaf.verify_directly_issued_by(pki.charger_ca.certificate)
    assert [command["status"] for command in commands] == ["Accepted"]
    assert commands[0]["requested_by"] == "csms"
    record = wss_api.get(f"/api/chargers/{name}/").json()
    assert record["certificate_serial"] == format(leaf.serial_number, "x")
    expires = leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S")
    assert record["certificate_expires_at"].startswith(expires)
    wss_api.patch(f"/api/chargers/{name}/", {"security_profile": 3})
    signed = write_key_and_chain(pki.folder, name, key, chain)
    assert handshake(url, ssl=pki.context(signed)) == OPENED


def test_sign_certificate_for_another_identity_is_rejected_and_nothing_is_sent(
    wss_node, wss_api, tls_db, pki
):
    name = register_charger(tls_db, "cert", security_profile=2, authorization_key=KEY)
    csr, _key = csr_for(f"{name}-impostor")
    url = wss_node.ws_url(name)
    with LiveCharger(url, name, headers=basic_auth(name, KEY), ssl=pki.context()) as charger:
        assert charger.call(call.SignCertificate(csr=csr)).status == "Rejected"
        assert charger.call(call.SignCertificate(csr="not a CSR")).status == "Rejected"
        charger.call(call.Heartbeat())
    assert charger.received == []
    assert wss_api.get("/api/commands/", charger=name).json() == []


def test_renewal_is_requested_once_a_day_from_connected_chargers_whose_certificate_ends_soon(
    tls_db,
):
    now = utcnow()
    soon = register_charger(tls_db, "renew")
    later = register_charger(tls_db, "renew")
    offline = register_charger(tls_db, "renew")
    with tls_db.unit_of_work() as session:
        for name, ends in ((soon, 10), (later, 90), (offline, 10)):
            charger = get_charger(session, name)
            charger.certificate_expires_at = now + timedelta(days=ends)
            if name != offline:
                charger.status = ChargerStatus.CONNECTED
    with tls_db.unit_of_work() as session:
        first = request_certificate_renewals(session, now)
    with tls_db.unit_of_work() as session:
        again = request_certificate_renewals(session, now + timedelta(hours=1))
    with tls_db.unit_of_work() as session:
        next_day = request_certificate_renewals(session, now + timedelta(days=1, minutes=1))
    mine = {soon, later, offline}
    assert [item.charger_name for item in first if item.charger_name in mine] == [soon]
    (asked,) = [item for item in first if item.charger_name == soon]
    assert asked.action == "ExtendedTriggerMessage"
    assert asked.payload == {"requestedMessage": "SignChargePointCertificate"}
    assert [item for item in again if item.charger_name in mine] == []
    assert [item.charger_name for item in next_day if item.charger_name in mine] == [soon]


@pytest.mark.redis
def test_the_renewal_job_sends_extended_trigger_message_through_the_relay(tls_database_url, tls_db):
    redis_url = require_redis()
    name = register_charger(tls_db, "renew-live")
    env = {"DATABASE_URL": tls_database_url, "REDIS_URL": redis_url}
    with (
        LiveServer(env, migrate=False, seed=False) as node,
        LiveCharger(node.ws_url(name), name) as charger,
        tempfile.TemporaryDirectory() as instance,
    ):
        with tls_db.unit_of_work() as session:
            get_charger(session, name).certificate_expires_at = utcnow() + timedelta(days=29)
        settings = Settings.from_env(
            {**env, "JWT_SECRET_KEY": TEST_JWT_SECRET, "INSTANCE_PATH": instance}
        )
        outcome = renewal_job(tls_db, settings)
        assert name in outcome["requested"]
        triggers = eventually(
            lambda: [p for _id, action, p in charger.received if action == "ExtendedTriggerMessage"]
        )
    assert triggers == [{"requestedMessage": "SignChargePointCertificate"}]


def _final_commands(api, name: str, action: str):
    commands = api.get("/api/commands/", charger=name, action=action).json()
    return commands if commands and all(command["final"] for command in commands) else None
