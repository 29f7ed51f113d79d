"""CPO_NAME (security whitepaper): the charger's certificate is owned by the CPO, its subject
O naming it; a CSR must carry it before it is signed, a profile-3 certificate before it is
admitted. Without CPO_NAME only the CN (the charge point identity) is checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization

from domain.errors import InvalidInput
from domain.models import Charger
from domain.services.certificates import CertificateAuthority
from domain.services.charger_access import ConnectionFacts, RefusalKind, admit_charger
from tests.pki import PrivateCA, csr_for

CPO = "Voltline Operations"
NOW = datetime.now(UTC)


@pytest.fixture
def ca(tmp_path) -> PrivateCA:
    return PrivateCA(tmp_path, "csms-ca")


def authority(ca: PrivateCA, cpo_name: str | None) -> CertificateAuthority:
    return CertificateAuthority.from_files(ca.cert_file, ca.key_file, cpo_name)


def test_a_csr_naming_the_cpo_is_signed(ca):
    csr, _ = csr_for("CP-1", organization=CPO)
    assert "BEGIN CERTIFICATE" in authority(ca, CPO).sign(csr, "CP-1", NOW)


@pytest.mark.parametrize("organization", [None, "Someone Else"])
def test_a_csr_without_the_cpo_as_its_organization_is_refused(ca, organization):
    csr, _ = csr_for("CP-1", organization=organization)
    with pytest.raises(InvalidInput, match="subject O"):
        authority(ca, CPO).sign(csr, "CP-1", NOW)


def test_without_a_cpo_name_only_the_identity_is_checked(ca):
    csr, _ = csr_for("CP-1")
    assert "BEGIN CERTIFICATE" in authority(ca, None).sign(csr, "CP-1", NOW)


def profile_3_facts(ca: PrivateCA, organization: str | None) -> ConnectionFacts:
    issued = ca.issue("CP-1", organization=organization)
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM).decode()
    return ConnectionFacts(tls=True, certificate_cn="CP-1", basic=None, certificate_pem=pem)


def test_profile_3_admits_a_certificate_of_the_cpo(ca):
    charger = Charger(name="CP-1", security_profile=3)
    assert admit_charger(charger, profile_3_facts(ca, CPO), CPO) is None


@pytest.mark.parametrize("organization", [None, "Someone Else"])
def test_profile_3_refuses_a_certificate_of_another_organization(ca, organization):
    charger = Charger(name="CP-1", security_profile=3)
    refusal = admit_charger(charger, profile_3_facts(ca, organization), CPO)
    assert refusal.kind is RefusalKind.TRANSPORT
    assert "organization" in refusal.reason
