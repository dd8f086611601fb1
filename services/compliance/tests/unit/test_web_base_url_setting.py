"""CNUM_WEB_BASE_URL (decision 0044): where the links of the e-mails lead. Production names the web front's
public https:// address or does not start; elsewhere the links lead to the web front of `make run`."""

import pytest

from cnum_shared.framework.auth import SigningKey
from cnum_shared.framework.config import ConfigurationError, load_settings
from compliance.config import ComplianceSettings


@pytest.fixture(autouse=True)
def _unset(monkeypatch):
    monkeypatch.delenv("CNUM_WEB_BASE_URL", raising=False)


@pytest.fixture
def production(tmp_path):
    """What else a production compliance service needs: its own public key, a shared revocation list."""
    public = tmp_path / "deploy-public.pem"
    public.write_bytes(SigningKey.generate(development=False).public_pem())
    return {
        "environment": "production",
        "jwt_public_key_file": public,
        "revocation_database_url": "postgresql://cnum@db.internal:5432/revocations",
    }


def test_production_does_not_start_without_the_web_fronts_address(production):
    with pytest.raises(ConfigurationError, match="CNUM_WEB_BASE_URL must be set in production"):
        load_settings(ComplianceSettings, production)


def test_production_refuses_an_address_without_tls(production):
    with pytest.raises(ConfigurationError, match="https://"):
        load_settings(ComplianceSettings, {**production, "web_base_url": "http://cnum.example.gouv.fr"})


def test_production_takes_its_https_address(production):
    settings = load_settings(
        ComplianceSettings, {**production, "web_base_url": "https://cnum.example.gouv.fr/"}
    )
    assert settings.web_base_url == "https://cnum.example.gouv.fr"


def test_elsewhere_the_links_lead_to_the_local_web_front_and_must_be_an_address(tmp_path):
    settings = load_settings(ComplianceSettings, {"environment": "development", "var_dir": tmp_path})
    assert settings.web_base_url == "http://127.0.0.1:5000"
    with pytest.raises(ConfigurationError, match="CNUM_WEB_BASE_URL must be an http"):
        load_settings(ComplianceSettings, {"environment": "test", "web_base_url": "cnum.example.gouv.fr"})
