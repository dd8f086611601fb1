"""Production never seals with the local test authority, nor starts without a seal (decision 0023)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cnum_shared.framework.config import ConfigurationError, load_settings
from cnum_shared.framework.seal import AgencySeal, SealError, TestAuthority
from conventions.config import ConventionsSettings

_POSTGRES_REVOCATIONS = {"revocation_database_url": "postgresql://postgres@127.0.0.1:5432/revocations"}


@pytest.fixture(autouse=True)
def _no_seal_in_the_environment(monkeypatch):
    for name in ("CNUM_SEAL_KEY_FILE", "CNUM_SEAL_CERTIFICATE_FILE", "CNUM_SEAL_TRUST_ROOTS_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_production_does_not_start_without_the_agency_s_seal(tmp_path):
    public = tmp_path / "jwt-public.pem"
    public.write_bytes(b"")

    with pytest.raises(ConfigurationError, match="CNUM_SEAL_KEY_FILE, CNUM_SEAL_CERTIFICATE_FILE"):
        load_settings(
            ConventionsSettings,
            {"environment": "production", "jwt_public_key_file": public, **_POSTGRES_REVOCATIONS},
        )


def _files(tmp_path, key_pem: bytes, chain_pem: bytes):
    key, chain = tmp_path / "seal-key.pem", tmp_path / "seal-certificate.pem"
    key.write_bytes(key_pem)
    chain.write_bytes(chain_pem)
    return key, chain


def test_production_refuses_a_certificate_of_the_local_test_authority(tmp_path):
    issued = TestAuthority.create().issue("cnum — cachet de l'agence (test)")
    key, chain = _files(tmp_path, issued.key_pem, issued.chain_pem)

    with pytest.raises(SealError, match="local test authority: refused in production"):
        AgencySeal.from_files(key, chain, production=True)
    # Outside production the same files seal (make run, the tests).
    assert AgencySeal.from_files(key, chain, production=False).subject


def test_production_accepts_a_certificate_of_another_authority(tmp_path):
    # A certificate without the test authority's mark, as a qualified provider would issue it.
    authority_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    authority = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Autorité de certification")])
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Caisse des dépôts et consignations"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Cachet de l'agence"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(authority_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file, chain_file = _files(tmp_path, key_pem, certificate.public_bytes(serialization.Encoding.PEM))

    seal = AgencySeal.from_files(key_file, chain_file, production=True)

    assert "Cachet de l'agence" in seal.subject
