"""Settings of the web interface: `WEB_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cnum_shared.addresses import IPNetwork, parse_networks
from cnum_shared.config import DEVELOPMENT_JWT_SECRET, ConfigurationError, load_settings

__all__ = ["ConfigurationError", "WebSettings", "settings_from_environment"]


def _common(name: str) -> AliasChoices:
    return AliasChoices(name.lower(), f"CNUM_{name}")


class WebSettings(BaseSettings):
    """The web front has no database: it signs officers in and calls the services with their token."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="forbid", populate_by_name=True)

    port: int = Field(default=5000, ge=1, le=65535)
    #: Signs the session cookie; derived from the JWT secret when not set (development).
    secret_key: str = ""
    #: The demo accounts of `make run` (one shared password, shown on the sign-in page). Production
    #: refuses them: officers sign in through the agency's identity provider (docs/decisions/0009).
    demo_accounts: bool = True
    demo_password: str = Field(default="cnum-demo", min_length=4)
    #: How long a sign-in lasts (the token the services receive expires with it).
    session_hours: int = Field(default=8, ge=1, le=24)
    #: Timeout of one call to a service, in seconds.
    service_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Where the sessions live (server side: the browser holds only their id). Redis when set (shared by
    #: every process and host of the web front), otherwise files under `CNUM_VAR_DIR/web-sessions`.
    session_redis_url: str = ""
    #: Send the session cookie over HTTPS only; production refuses to start without it.
    cookie_secure: bool | None = None

    var_dir: Path = Field(default=Path("var"), validation_alias=_common("VAR_DIR"))
    #: The TLS proxy in front of the web front (infra/README.md): the only hop whose `X-Forwarded-For`
    #: the web front believes (addresses or networks, comma-separated). Not CNUM_TRUSTED_PROXIES, which
    #: names the web front itself for the services.
    trusted_proxies: str = ""

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=_common("ENVIRONMENT")
    )
    jwt_secret: str = Field(default=DEVELOPMENT_JWT_SECRET, validation_alias=_common("JWT_SECRET"))
    conventions_url: str = Field(default="http://127.0.0.1:5001", validation_alias=_common("CONVENTIONS_URL"))
    payments_url: str = Field(default="http://127.0.0.1:5002", validation_alias=_common("PAYMENTS_URL"))
    compliance_url: str = Field(default="http://127.0.0.1:5003", validation_alias=_common("COMPLIANCE_URL"))

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("session_redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _production_is_safe(self) -> WebSettings:
        if self.cookie_secure is None:
            self.cookie_secure = self.environment == "production"
        if self.environment == "production":
            if not self.cookie_secure:
                raise ValueError("WEB_COOKIE_SECURE must be true in production (cookies over HTTPS only)")
            if self.demo_accounts:
                raise ValueError("WEB_DEMO_ACCOUNTS must be false in production")
            if self.jwt_secret == DEVELOPMENT_JWT_SECRET or not self.secret_key:
                raise ValueError("production needs its own CNUM_JWT_SECRET and WEB_SECRET_KEY")
        return self

    @property
    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def session_directory(self) -> Path:
        return (self.var_dir / "web-sessions").resolve()

    def session_secret(self) -> str:
        if self.secret_key:
            return self.secret_key
        return hashlib.sha256(b"cnum-web-session:" + self.jwt_secret.encode()).hexdigest()

    def service_url(self, service: str) -> str:
        return {
            "conventions": self.conventions_url,
            "payments": self.payments_url,
            "compliance": self.compliance_url,
        }[service].rstrip("/")


def settings_from_environment(overrides: dict[str, object] | None = None) -> WebSettings:
    return load_settings(WebSettings, overrides)
