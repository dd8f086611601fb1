from pathlib import Path
from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.auth import SigningKey
from cnum_shared.framework.config import ConfigurationError, ServiceSettings, load_settings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")
    service_name: ClassVar[str] = "example"


@pytest.fixture(autouse=True)
def _development(monkeypatch):
    for name in (
        "EXAMPLE_DATABASE_URL",
        "CNUM_VAR_DIR",
        "CNUM_JWT_PUBLIC_KEY_FILE",
        "CNUM_JWT_PRIVATE_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNUM_ENVIRONMENT", "development")


def test_defaults_work_with_only_the_environment_named(monkeypatch):
    settings = load_settings(ExampleSettings)
    assert settings.database_url == f"sqlite:///{(Path('var') / 'example.sqlite3').resolve()}"
    assert settings.jwt_public_key_file == Path("var/keys/development-jwt-public.pem")
    assert settings.revocation_database_url == f"sqlite:///{(Path('var') / 'revocations.sqlite3').resolve()}"
    assert settings.smtp_port == 8025
    assert settings.service_url("payments") == "http://127.0.0.1:5002"


def test_nothing_starts_without_cnum_environment(monkeypatch):
    # DESIGN §5: fail closed. Before, an unset variable meant "development" and its public secret.
    monkeypatch.delenv("CNUM_ENVIRONMENT")
    with pytest.raises(ConfigurationError, match="CNUM_ENVIRONMENT must be set"):
        load_settings(ExampleSettings)


def _key_files(directory, *, development, prefix="deploy"):
    key = SigningKey.generate(development=development)
    private, public = directory / f"{prefix}-private.pem", directory / f"{prefix}-public.pem"
    private.write_bytes(key.private_pem())
    public.write_bytes(key.public_pem())
    return private, public


_POSTGRES_REVOCATIONS = {"revocation_database_url": "postgresql://postgres@127.0.0.1:5432/revocations"}


def test_production_needs_its_own_public_key_file():
    with pytest.raises(ConfigurationError, match="CNUM_JWT_PUBLIC_KEY_FILE must be set in production"):
        load_settings(ExampleSettings, {"environment": "production", **_POSTGRES_REVOCATIONS})


def test_production_refuses_the_development_key_files_by_name(tmp_path):
    _, public = _key_files(tmp_path, development=False, prefix="development-jwt")
    with pytest.raises(ConfigurationError, match="development key file"):
        load_settings(
            ExampleSettings,
            {"environment": "production", "jwt_public_key_file": public, **_POSTGRES_REVOCATIONS},
        )


def test_production_refuses_a_key_marked_as_development_whatever_its_name(tmp_path):
    private, public = _key_files(tmp_path, development=True)
    settings = load_settings(
        ExampleSettings,
        {
            "environment": "production",
            "jwt_public_key_file": public,
            "jwt_private_key_file": private,
            **_POSTGRES_REVOCATIONS,
        },
    )
    with pytest.raises(ConfigurationError, match="development key: refused in production"):
        settings.verification_keys()
    with pytest.raises(ConfigurationError, match="development key: refused in production"):
        settings.signing_key()


def test_production_accepts_its_own_keys_and_a_shared_revocation_database(tmp_path):
    _, public = _key_files(tmp_path, development=False)
    settings = load_settings(
        ExampleSettings,
        {"environment": "production", "jwt_public_key_file": public, **_POSTGRES_REVOCATIONS},
    )
    assert not settings.verification_keys().development


def test_production_refuses_a_revocation_list_on_sqlite(tmp_path):
    _, public = _key_files(tmp_path, development=False)
    with pytest.raises(ConfigurationError, match="CNUM_REVOCATION_DATABASE_URL"):
        load_settings(ExampleSettings, {"environment": "production", "jwt_public_key_file": public})


def test_a_missing_key_file_says_how_to_make_one(tmp_path):
    settings = load_settings(ExampleSettings, {"var_dir": tmp_path})
    with pytest.raises(ConfigurationError, match="run `cnum keys`"):
        settings.verification_keys()


def test_service_variables_use_the_service_prefix_and_common_ones_cnum(monkeypatch):
    monkeypatch.setenv("EXAMPLE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/example")
    monkeypatch.setenv("CNUM_SMTP_PORT", "2525")
    monkeypatch.setenv("CNUM_PAYMENTS_URL", "http://payments.internal:8000/")
    settings = load_settings(ExampleSettings)
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/example"
    assert settings.smtp_port == 2525
    assert settings.payments_url == "http://payments.internal:8000"


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("CNUM_SMTP_PORT", "2525")
    assert load_settings(ExampleSettings, {"smtp_port": 1025}).smtp_port == 1025


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database_url": "mysql://x"}, "database_url"),
        ({"smtp_port": "not-a-port"}, "smtp_port"),
        ({"smtp_port": 70000}, "smtp_port"),
        ({"payments_url": "ftp://x"}, "payments_url"),
        ({"environment": "staging"}, "environment"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_an_invalid_configuration_stops_with_a_clear_message(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings(ExampleSettings, overrides)


def test_an_invalid_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv("CNUM_RELAY_BATCH_SIZE", "0")
    with pytest.raises(ConfigurationError, match="relay_batch_size"):
        load_settings(ExampleSettings)
