"""X.509 for chargers (OCPP 1.6 security extension): the central system's CA signing a
charger's CSR, what a charger's certificate says, and checking a client certificate a
TLS-terminating proxy forwarded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from domain.errors import InvalidInput
from domain.models import Charger
from domain.settings import Settings

CERTIFICATE_VALIDITY = timedelta(days=365)
# A charger whose certificate ends within this is asked to renew it.
RENEWAL_WINDOW = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)  # a new certificate is valid from a little before now
MAX_CHAIN_CHARACTERS = 10000  # CertificateSigned.req certificateChain in the 1.6 schema


@dataclass(frozen=True)
class CertificateAuthority:
    """The CA (CSMS_CA_CERT_FILE, CSMS_CA_KEY_FILE) that signs chargers' certificates."""

    certificate: x509.Certificate
    key: object  # a cryptography private key of the certificate
    # CPO_NAME: when set, a CSR's subject O must be it (the charger's CpoName key).
    cpo_name: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CertificateAuthority | None:
        """The CSMS CA of CSMS_CA_CERT_FILE and CSMS_CA_KEY_FILE; None without them."""
        if settings.csms_ca_cert_file is None or settings.csms_ca_key_file is None:
            return None
        return cls.from_files(
            settings.csms_ca_cert_file, settings.csms_ca_key_file, settings.cpo_name
        )

    @classmethod
    def from_files(
        cls, certificate_file: Path, key_file: Path, cpo_name: str | None = None
    ) -> CertificateAuthority:
        certificate = x509.load_pem_x509_certificate(certificate_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        return cls(certificate, key, cpo_name)

    def sign(self, csr_pem: str, identity: str, now: datetime) -> str:
        """The PEM chain (the new certificate, then ours) for the CSR of charger `identity`.

        Raises InvalidInput when the CSR cannot be read, its signature is wrong, its subject
        CN is not `identity` or, with a CPO name set, its subject O is not that name."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError:
            raise InvalidInput("the CSR is not a PEM certificate signing request") from None
        if not csr.is_signature_valid:
            raise InvalidInput("the CSR's signature does not match its key")
        common_name = _common_name(csr.subject)
        if common_name != identity:
            raise InvalidInput(f"the CSR's subject CN is {common_name!r}, not {identity!r}")
        organization = organization_name(csr.subject)
        if self.cpo_name is not None and organization != self.cpo_name:
            raise InvalidInput(f"the CSR's subject O is {organization!r}, not {self.cpo_name!r}")
        certificate = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(csr.public_key())
            .serial_number(secrets.randbits(159) + 1)
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CERTIFICATE_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return _pem(certificate) + _pem(self.certificate)


def keep_charger_certificate(charger: Charger, chain_pem: str) -> bool:
    """Record the first certificate of `chain_pem` as the charger's (not flushed); False
    (nothing recorded) when the chain holds no readable certificate."""
    try:
        certificate = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    except (ValueError, IndexError):
        return False
    charger.certificate_pem = _pem(certificate)
    charger.certificate_serial = format(certificate.serial_number, "x")
    charger.certificate_expires_at = certificate.not_valid_after_utc
    return True


def verified_common_name(
    certificate_pem: str, authorities: list[x509.Certificate], now: datetime
) -> str | None:
    """The subject CN of `certificate_pem` when one of `authorities` issued it (signature
    checked) and it is valid at `now`; else None."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError:
        return None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return None
    for authority in authorities:
        if authority.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(authority)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return _common_name(certificate.subject)
    return None


def load_authorities(path: Path) -> list[x509.Certificate]:
    """Every PEM certificate in the file at `path`."""
    return x509.load_pem_x509_certificates(path.read_bytes())


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attributes[0].value) if attributes else None


def organization_name(name: x509.Name) -> str | None:
    """The subject's O (organizationName): the CPO that owns the certificate."""
    attributes = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(attributes[0].value) if attributes else None


def certificate_organization(certificate_pem: str) -> str | None:
    """The subject O of a PEM certificate (None when unreadable or absent)."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError:
        return None
    return organization_name(certificate.subject)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
