"""AuthorizationKey rules and redaction, security-profile admission and the TLS facts a
request shows, without a server."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.models import Charger
from domain.services import authorization_keys as keys
from domain.services.charger_access import (
    ConnectionFacts,
    RefusalKind,
    admit_charger,
    raise_security_profile,
)
from domain.settings import Settings
from web.tls import (
    WHITEPAPER_CIPHERS,
    TransportSecurity,
    connection_security,
    gunicorn_tls_settings,
)

HEX_KEY = "00112233445566778899AABBCCDDEEFF00112233"


def charger(profile: int = 1, key: str | None = HEX_KEY) -> Charger:
    return Charger(name="CP-1", security_profile=profile, authorization_key_hash=keys.key_hash(key))


def settings(tmp_path, **values) -> Settings:
    return Settings(
        instance_path=tmp_path,
        database_url="sqlite://",
        redis_url=None,
        jwt_secret_key="x" * 32,
        **values,
    )


@pytest.mark.parametrize("key", ["0" * 32, "a" * 40, HEX_KEY, "0123456789abcdef" * 2 + "01"])
def test_whitepaper_keys_are_16_to_20_bytes_in_hexadecimal(key):
    assert keys.check_new_key(key) == key


@pytest.mark.parametrize(
    "key", ["0" * 30, "0" * 42, "0" * 33, "g" * 32, "a-printable-key-of-32-characters"]
)
def test_other_keys_are_refused_for_rotation(key):
    with pytest.raises(InvalidInput):
        keys.check_new_key(key)


def test_a_hexadecimal_key_logs_in_as_its_text_in_any_case_or_as_its_bytes():
    record = charger()
    for password in (HEX_KEY.encode(), HEX_KEY.lower().encode(), bytes.fromhex(HEX_KEY)):
        assert keys.login_with_key(record, password)
    assert not keys.login_with_key(record, b"00112233445566778899aabbccddeeff00112234")


def test_redaction_covers_change_configuration_and_get_configuration_answers():
    change = {"key": "AuthorizationKey", "value": HEX_KEY}
    assert keys.redact("ChangeConfiguration", change)["value"] == keys.REDACTED
    assert change["value"] == HEX_KEY  # the caller's payload is left alone
    other = {"key": "HeartbeatInterval", "value": "60"}
    assert keys.redact("ChangeConfiguration", other) is other
    answer = {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": "k"}]}
    assert keys.redact("GetConfiguration", answer)["configurationKey"][0]["value"] == "<redacted>"


def test_a_first_login_with_the_new_key_retires_the_previous_one():
    record = charger()
    keys.begin_key_change(record, "command-1", "ab" * 20)
    keys.key_change_accepted(record, "command-1")
    assert keys.login_with_key(record, HEX_KEY.encode())
    assert keys.login_with_key(record, ("ab" * 20).encode())
    assert not keys.login_with_key(record, HEX_KEY.encode())


def test_profile_admission():
    plain_basic = ConnectionFacts(tls=False, certificate_cn=None, basic=("CP-1", HEX_KEY.encode()))
    assert admit_charger(charger(1), plain_basic) is None
    assert admit_charger(charger(2), plain_basic).kind is RefusalKind.TRANSPORT
    wrong_user = ConnectionFacts(tls=True, certificate_cn=None, basic=("CP-2", HEX_KEY.encode()))
    assert admit_charger(charger(2), wrong_user).kind is RefusalKind.CREDENTIALS
    assert admit_charger(charger(1, key=None), plain_basic).kind is RefusalKind.CREDENTIALS
    assert admit_charger(charger(0, key=None), plain_basic) is None
    own_certificate = ConnectionFacts(tls=True, certificate_cn="CP-1", basic=None)
    assert admit_charger(charger(3), own_certificate) is None
    other_certificate = ConnectionFacts(tls=True, certificate_cn="CP-2", basic=None)
    assert admit_charger(charger(3), other_certificate).kind is RefusalKind.TRANSPORT


def test_a_charger_never_lowers_its_profile():
    record = charger(2)
    raise_security_profile(record, "1")
    assert record.security_profile == 2
    raise_security_profile(record, "3")
    assert record.security_profile == 3


def test_forwarded_tls_headers_are_ignored_unless_from_a_trusted_proxy(tmp_path):
    environ = {"REMOTE_ADDR": "10.0.0.7", "HTTP_X_FORWARDED_PROTO": "https"}
    assert connection_security(environ, settings(tmp_path)) == TransportSecurity(False)
    trusted = settings(tmp_path, trusted_proxies=("10.0.0.0/24",))
    assert connection_security(environ, trusted) == TransportSecurity(True)
    elsewhere = {**environ, "REMOTE_ADDR": "10.0.1.7"}
    assert connection_security(elsewhere, trusted) == TransportSecurity(False)


def test_gunicorn_serves_tls_1_2_or_later_with_the_whitepapers_ciphers(tmp_path):
    assert "certfile" not in gunicorn_tls_settings(settings(tmp_path))
    files = {name: tmp_path / name for name in ("cert.pem", "key.pem", "ca.pem")}
    configured = gunicorn_tls_settings(
        settings(
            tmp_path,
            tls_cert_file=files["cert.pem"],
            tls_key_file=files["key.pem"],
            tls_client_ca_file=files["ca.pem"],
            trusted_proxies=("192.0.2.1/32",),
        )
    )
    assert configured["ciphers"] == WHITEPAPER_CIPHERS
    assert WHITEPAPER_CIPHERS.split(":") == [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ]
    assert configured["cert_reqs"] == 1  # ssl.CERT_OPTIONAL: profile-2 chargers have none
    assert configured["forwarded_allow_ips"] == "192.0.2.1/32"
