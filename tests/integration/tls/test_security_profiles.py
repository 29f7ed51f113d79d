"""Security profiles 1-3 on our own TLS (OCPP 1.6 security whitepaper), with certificates
made in the test, a wss:// node and a ws:// node behind a trusted proxy address."""

from __future__ import annotations

import ssl
from urllib.parse import quote

import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from ocpp.v16 import call_result

from domain.services.chargers import get_charger
from tests.charger import LiveCharger
from tests.integration.tls.handshake import OPENED, handshake
from tests.ocpp_client import basic_auth, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KEY = "0123456789abcdef0123456789abcdef01234567"
REJECTED = call_result.ChangeConfiguration(status="Rejected")


def test_profile_3_charger_with_a_certificate_for_its_identity_connects_without_basic_auth(
    wss_node, tls_db, pki
):
    name = register_charger(tls_db, "p3", security_profile=3)
    certificate = pki.charger_ca.issue(name)
    assert handshake(wss_node.ws_url(name), ssl=pki.context(certificate)) == OPENED
    with tls_db.unit_of_work() as session:
        record = get_charger(session, name)
        assert record.certificate_serial == format(certificate.certificate.serial_number, "x")
        assert record.certificate_expires_at == certificate.certificate.not_valid_after_utc


def test_profile_3_charger_with_a_certificate_for_another_identity_is_refused_with_403(
    wss_node, tls_db, pki
):
    name = register_charger(tls_db, "p3", security_profile=3)
    other = pki.charger_ca.issue(f"{name}-other")
    assert handshake(wss_node.ws_url(name), ssl=pki.context(other)) == 403
    assert "client certificate is for" in wss_node.log_text()


def test_profile_3_charger_without_a_certificate_is_refused_even_with_basic_auth(
    wss_node, tls_db, pki
):
    name = register_charger(tls_db, "p3", security_profile=3, authorization_key=KEY)
    assert handshake(wss_node.ws_url(name), ssl=pki.context(), key=KEY) == 403


def test_a_certificate_from_another_ca_is_refused_in_the_tls_handshake(wss_node, tls_db, pki):
    name = register_charger(tls_db, "p3", security_profile=3)
    forged = pki.rogue_ca.issue(name)
    # TLS 1.3: the server's alert ends the connection before any HTTP answer (1.2: SSLError).
    with pytest.raises((ssl.SSLError, websockets.InvalidMessage)):
        handshake(wss_node.ws_url(name), ssl=pki.context(forged))
    genuine = pki.charger_ca.issue(name)
    assert handshake(wss_node.ws_url(name), ssl=pki.context(genuine)) == OPENED


def test_profile_2_charger_is_refused_on_plain_ws_and_admitted_over_tls(
    wss_node, ws_node, tls_db, pki
):
    name = register_charger(tls_db, "p2", security_profile=2, authorization_key=KEY)
    assert handshake(ws_node.ws_url(name), key=KEY) == 403
    assert "needs TLS" in ws_node.log_text()
    assert handshake(wss_node.ws_url(name), ssl=pki.context(), key=KEY) == OPENED
    assert handshake(wss_node.ws_url(name), ssl=pki.context(), key=KEY[:-2] + "00") == 401


def test_profile_1_charger_without_an_authorization_key_is_refused_with_401(ws_node, tls_db):
    name = register_charger(tls_db, "p1", security_profile=1)
    assert handshake(ws_node.ws_url(name)) == 401


def test_a_trusted_proxy_forwards_tls_and_the_client_certificate(ws_node, tls_db, pki):
    basic = register_charger(tls_db, "p2", security_profile=2, authorization_key=KEY)
    forwarded_tls = {"X-Forwarded-Proto": "https"}
    assert handshake(ws_node.ws_url(basic), headers=forwarded_tls, key=KEY) == OPENED
    name = register_charger(tls_db, "p3", security_profile=3)
    good = pki.charger_ca.issue(name)
    forged = pki.rogue_ca.issue(name)
    assert handshake(ws_node.ws_url(name), headers=_client_cert(good)) == OPENED
    assert handshake(ws_node.ws_url(name), headers=_client_cert(forged)) == 403


def test_change_configuration_security_profile_raises_the_profile_once_accepted(
    wss_node, ws_node, wss_api, tls_db, pki
):
    name = register_charger(tls_db, "p1", security_profile=1, authorization_key=KEY)
    assert handshake(ws_node.ws_url(name), key=KEY) == OPENED
    url = wss_node.ws_url(name)
    with LiveCharger(url, name, headers=basic_auth(name, KEY), ssl=pki.context()) as charger:
        path = f"/api/chargers/{name}/commands/ChangeConfiguration"
        answer = wss_api.post(path, {"key": "SecurityProfile", "value": "2"})
        assert answer.status_code == 200 and answer.json()["status"] == "Accepted"
        assert wss_api.get(f"/api/chargers/{name}/").json()["security_profile"] == 2
        # A charger never lowers its profile, even when it accepts a lower one.
        wss_api.post(path, {"key": "SecurityProfile", "value": "1"})
        assert wss_api.get(f"/api/chargers/{name}/").json()["security_profile"] == 2
        assert [action for _id, action, _payload in charger.received].count(
            "ChangeConfiguration"
        ) == 2
    assert handshake(ws_node.ws_url(name), key=KEY) == 403


def test_a_rejected_security_profile_change_keeps_the_profile(wss_node, wss_api, tls_db, pki):
    name = register_charger(tls_db, "p2", security_profile=2, authorization_key=KEY)
    url = wss_node.ws_url(name)
    with LiveCharger(url, name, headers=basic_auth(name, KEY), ssl=pki.context()) as charger:
        charger.cp.answers["ChangeConfiguration"] = REJECTED
        path = f"/api/chargers/{name}/commands/ChangeConfiguration"
        assert wss_api.post(path, {"key": "SecurityProfile", "value": "3"}).json()["status"] == (
            "Rejected"
        )
    assert wss_api.get(f"/api/chargers/{name}/").json()["security_profile"] == 2


def test_operators_set_the_profile_on_create_and_with_patch(wss_api):
    created = wss_api.post("/api/chargers/", {"name": "api-profile-2", "security_profile": 2})
    assert created.status_code == 201 and created.json()["security_profile"] == 2
    changed = wss_api.patch("/api/chargers/api-profile-2/", {"security_profile": 0})
    assert changed.status_code == 200 and changed.json()["security_profile"] == 0
    assert wss_api.patch("/api/chargers/api-profile-2/", {"security_profile": 4}).status_code == (
        422
    )


def _client_cert(issued) -> dict[str, str]:
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM).decode()
    return {"X-Forwarded-Proto": "https", "X-Client-Cert": quote(pem, safe="")}
