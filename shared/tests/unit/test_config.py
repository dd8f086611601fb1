from pathlib import Path
from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from cnum_shared.config import DEVELOPMENT_JWT_SECRET, ConfigurationError, ServiceSettings, load_settings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")
    service_name: ClassVar[str] = "example"


def test_defaults_work_without_any_variable(monkeypatch):
    for name in ("EXAMPLE_DATABASE_URL", "CNUM_VAR_DIR", "CNUM_JWT_SECRET", "CNUM_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(ExampleSettings)
    assert settings.database_url == f"sqlite:///{(Path('var') / 'example.sqlite3').resolve()}"
    assert settings.jwt_secret == DEVELOPMENT_JWT_SECRET
    assert settings.smtp_port == 8025
    assert settings.service_url("payments") == "http://127.0.0.1:5002"


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
        ({"jwt_secret": "short"}, "at least 32"),
        ({"environment": "production"}, "CNUM_JWT_SECRET must be set"),
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
