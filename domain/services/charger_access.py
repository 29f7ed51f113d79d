"""Who may open a charger's socket: its security profile (OCPP 1.6 security whitepaper)
against what the connection shows, decided before the WebSocket upgrade.

0: no profile (HTTP Basic only when the charger has an AuthorizationKey); 1: HTTP Basic;
2: HTTP Basic over TLS; 3: TLS with a client certificate chain-verified against our client
CA whose subject CN is the charge point identity (no Basic needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.models import Charger
from domain.services.authorization_keys import login_with_key
from domain.services.certificates import certificate_organization, keep_charger_certificate
from domain.services.charger_snapshots import ChargerSnapshot, snapshot_of

SECURITY_PROFILE_KEY = "SecurityProfile"  # the whitepaper's configuration key


class SecurityProfile(IntEnum):
    NONE = 0
    BASIC = 1
    TLS_BASIC = 2
    TLS_CLIENT_CERTIFICATE = 3


class RefusalKind(StrEnum):
    CREDENTIALS = "credentials"  # missing or wrong Basic credentials
    TRANSPORT = "transport"  # not TLS, or no acceptable client certificate


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str


@dataclass(frozen=True)
class ConnectionFacts:
    """What the connection shows: TLS or not, the CN of a client certificate that was
    chain-verified against our client CA, the HTTP Basic (user, password bytes), and that
    certificate as PEM."""

    tls: bool
    certificate_cn: str | None
    basic: tuple[str, bytes] | None
    certificate_pem: str | None = None


@dataclass(frozen=True)
class Admission:
    """What the handshake decided: refused (why), or admitted with the charger's snapshot
    for its socket, read in the same unit of work."""

    refusal: Refusal | None
    snapshot: ChargerSnapshot | None = None


_CHARGERS = Charger.__table__
# What admission and the socket's snapshot need of the row, in one read built once.
_ADMISSION_ROW = select(
    _CHARGERS.c.id,
    _CHARGERS.c.security_profile,
    _CHARGERS.c.authorization_key_hash,
    _CHARGERS.c.registration_status,
    _CHARGERS.c.id_tag,
).where(_CHARGERS.c.name == bindparam("name"))


def admit_connection(
    session: Session, name: str, facts: ConnectionFacts, cpo_name: str | None = None
) -> Admission | None:
    """`admit_charger` for charger `name` (None when no such charger is registered), plus,
    when admitted, the socket's snapshot. A charger open to anyone (profile 0, no key) is
    decided from one Core read; any other loads its row for `admit_charger`, whose changes
    (a retired key, a new certificate) are flushed with the caller's commit."""
    row = session.connection().execute(_ADMISSION_ROW, {"name": name}).one_or_none()
    if row is None:
        return None
    if not _open_to_anyone(row.security_profile, row.authorization_key_hash):
        refusal = admit_charger(session.get(Charger, row.id), facts, cpo_name)
        if refusal is not None:
            return Admission(refusal)
    return Admission(None, snapshot_of(session, row.id, name, row.registration_status, row.id_tag))


def _open_to_anyone(profile: int, authorization_key_hash: str | None) -> bool:
    """No security profile and no AuthorizationKey: every connection is admitted as is."""
    return profile == SecurityProfile.NONE and authorization_key_hash is None


def security_profile(value: object) -> SecurityProfile:
    """The profile numbered `value` (an int or its decimal text); raises InvalidInput."""
    try:
        return SecurityProfile(int(str(value)))
    except ValueError:
        raise InvalidInput("a security profile is 0, 1, 2 or 3") from None


def raise_security_profile(charger: Charger, value: object) -> None:
    """Set the charger's profile to `value` unless it already has a higher one (a charger
    never lowers its profile; only an operator can). Not flushed."""
    charger.security_profile = max(charger.security_profile, security_profile(value))


def admit_charger(
    charger: Charger, facts: ConnectionFacts, cpo_name: str | None = None
) -> Refusal | None:
    """None when the connection meets the charger's security profile, else why not. With
    `cpo_name` (CPO_NAME) set, a profile-3 certificate's subject O must be it (whitepaper:
    the certificate is owned by the CPO). A first login with a rotated-to key retires the
    previous key, and a profile-3 login records the certificate it used (set on `charger`,
    not flushed)."""
    profile = SecurityProfile(charger.security_profile)
    if profile >= SecurityProfile.TLS_BASIC and not facts.tls:
        return Refusal(RefusalKind.TRANSPORT, f"security profile {profile} needs TLS (wss://)")
    if profile == SecurityProfile.TLS_CLIENT_CERTIFICATE:
        if facts.certificate_cn is None:
            return Refusal(
                RefusalKind.TRANSPORT,
                "security profile 3 needs a client certificate signed by the central system's CA",
            )
        if facts.certificate_cn != charger.name:
            return Refusal(
                RefusalKind.TRANSPORT,
                f"the client certificate is for {facts.certificate_cn!r}, not {charger.name!r}",
            )
        if cpo_name is not None:
            organization = (
                None
                if facts.certificate_pem is None
                else certificate_organization(facts.certificate_pem)
            )
            if organization != cpo_name:
                return Refusal(
                    RefusalKind.TRANSPORT,
                    f"the client certificate's organization is {organization!r}, "
                    f"not the CPO {cpo_name!r}",
                )
        if facts.certificate_pem is not None:
            # The same values again change nothing (no UPDATE); a new certificate is kept,
            # so renewals are asked for whichever certificate the charger uses.
            keep_charger_certificate(charger, facts.certificate_pem)
        return None
    if _open_to_anyone(profile, charger.authorization_key_hash):
        return None
    if charger.authorization_key_hash is None:
        return Refusal(
            RefusalKind.CREDENTIALS, f"security profile {profile} needs an AuthorizationKey"
        )
    user, password = facts.basic or ("", b"")
    # A wrong user name is still hashed (an empty password never matches), so it takes as
    # long as a wrong password.
    if not login_with_key(charger, password if user == charger.name else b""):
        return Refusal(RefusalKind.CREDENTIALS, "HTTP Basic credentials missing or wrong")
    return None
