"""TLS for the charger socket (security profiles 2 and 3): gunicorn's TLS settings, read
from Settings by gunicorn.conf.py, and what a request's connection shows.

gunicorn terminates TLS itself, so the WSGI environ's `gunicorn.socket` is the TLS socket:
its `getpeercert()` holds the client certificate once OpenSSL has chain-verified it against
TLS_CLIENT_CA_FILE. Behind a TLS-terminating proxy in TRUSTED_PROXIES, `X-Forwarded-Proto:
https` says the charger came over TLS and `X-Client-Cert` carries its certificate as URL-
encoded PEM (nginx: `$ssl_client_escaped_cert`), which is checked against TLS_CLIENT_CA_FILE
here. From anyone else both headers are ignored.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from domain.clock import utcnow
from domain.services.certificates import load_authorities, verified_common_name
from domain.settings import Settings

# OCPP 1.6 security whitepaper, TLS 1.2: the central system supports these four suites.
WHITEPAPER_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
    )
)
CLIENT_CERT_HEADER = "X-Client-Cert"
FORWARDED_PROTO_HEADER = "X-Forwarded-Proto"


def gunicorn_tls_settings(settings: Settings) -> dict[str, Any]:
    """gunicorn configuration values for TLS_* and TRUSTED_PROXIES."""
    values: dict[str, Any] = {"forwarded_allow_ips": ",".join(settings.trusted_proxies)}
    if not settings.serves_tls:
        return values
    values.update(
        certfile=str(settings.tls_cert_file),
        keyfile=str(settings.tls_key_file),
        ciphers=WHITEPAPER_CIPHERS,
        ssl_context=_tls_1_2_or_later,
    )
    if settings.tls_client_ca_file is not None:
        # Optional: profile-2 chargers on the same node have no certificate.
        values.update(ca_certs=str(settings.tls_client_ca_file), cert_reqs=ssl.CERT_OPTIONAL)
    return values


def _tls_1_2_or_later(config, default_ssl_context_factory) -> ssl.SSLContext:
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass(frozen=True)
class TransportSecurity:
    """What a request's connection shows: TLS or not, and a client certificate verified
    against our client CA (its subject CN and PEM), if any."""

    tls: bool
    certificate_cn: str | None = None
    certificate_pem: str | None = None


def connection_security(environ: dict[str, Any], settings: Settings) -> TransportSecurity:
    """The TLS facts of the request in `environ`: from gunicorn's TLS socket, else from a
    trusted proxy's headers, else none."""
    socket = environ.get("gunicorn.socket")
    if getattr(socket, "getpeercert", None) is not None:
        common_name = _subject_common_name(socket.getpeercert())
        if common_name is None:
            return TransportSecurity(True)
        pem = ssl.DER_cert_to_PEM_cert(socket.getpeercert(binary_form=True))
        return TransportSecurity(True, common_name, pem)
    if not from_trusted_proxy(environ.get("REMOTE_ADDR"), settings.trusted_proxies):
        return TransportSecurity(False)
    tls = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower() == "https"
    forwarded = unquote(environ.get("HTTP_X_CLIENT_CERT", ""))
    if not tls or not forwarded or settings.tls_client_ca_file is None:
        return TransportSecurity(tls)
    authorities = _authorities(settings.tls_client_ca_file)
    common_name = verified_common_name(forwarded, authorities, utcnow())
    return TransportSecurity(True, common_name, forwarded if common_name else None)


def _subject_common_name(certificate: dict[str, Any] | None) -> str | None:
    # Python's ssl fills in the subject only for a certificate it verified.
    for relative_name in (certificate or {}).get("subject", ()):
        for key, value in relative_name:
            if key == "commonName":
                return value
    return None


def from_trusted_proxy(address: str | None, trusted: tuple[str, ...]) -> bool:
    if not address or not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network) for network in trusted)


@lru_cache(maxsize=4)
def _authorities(path: Path) -> list:
    return load_authorities(path)
