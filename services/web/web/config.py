"""Settings of the web interface: `WEB_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cnum_shared.core.addresses import IPNetwork, parse_networks
from cnum_shared.framework.auth import MAX_LIFETIME_SECONDS, Role, SigningKey
from cnum_shared.framework.config import (
    DEFAULT_VAR_DIR,
    DEVELOPMENT_PRIVATE_KEY,
    ConfigurationError,
    check_keys,
    load_settings,
    load_signing_key,
    require_environment,
    shared_revocation_database_url,
)

__all__ = ["ConfigurationError", "WebSettings", "settings_from_environment"]

#: The local OpenID provider of `make run` and the tests (oidc-provider-mock, infra/Procfile): the default
#: outside production, refused in production (decision 0042).
LOCAL_PROVIDER_ISSUER = "http://127.0.0.1:5004"
#: The client id and secret the web front gives the local provider (which accepts any): production
#: refuses them, so that a configuration copied from `make run` cannot reach ProConnect.
LOCAL_CLIENT_ID = "cnum-local"
LOCAL_CLIENT_SECRET = "cnum-local-secret"  # noqa: S105 (public on purpose: production refuses it)


def is_local_provider(issuer: str) -> bool:
    """An issuer that cannot be the agency's identity provider: plain HTTP, or this machine."""
    parts = urlsplit(issuer)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _common(name: str) -> AliasChoices:
    return AliasChoices(name.lower(), f"CNUM_{name}")


class WebSettings(BaseSettings):
    """The web front has no database: it signs officers in and calls the services with their token."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="forbid", populate_by_name=True)

    port: int = Field(default=5000, ge=1, le=65535)
    #: Signs the session cookie; derived from the private key when not set (development and tests only:
    #: production needs its own, of at least 32 characters).
    secret_key: str = ""
    #: The address officers reach the web front at: the OpenID provider sends them back to
    #: `<base_url>/connexion/retour` (registered with the provider) and, after signing out, to
    #: `<base_url>/connexion`. HTTPS in production.
    base_url: str = Field(default="http://127.0.0.1:5000", validation_alias=_common("WEB_BASE_URL"))
    #: The OpenID Connect provider officers sign in at (decision 0042): ProConnect in production, whose
    #: discovery document is `<issuer>/.well-known/openid-configuration`. Outside production the local
    #: provider of `make run`; production refuses to start without one, and refuses a local one.
    oidc_issuer: str = ""
    oidc_client_id: str = LOCAL_CLIENT_ID
    oidc_client_secret: str = LOCAL_CLIENT_SECRET
    #: What the web front asks the provider for: ProConnect's scopes for the address it matches officers
    #: by, the agent's names and the SIRET of their organisation (structure agents' sign-in).
    oidc_scopes: str = "openid email given_name usual_name siret"
    #: How long the discovery document and the provider's keys are kept before they are read again (a
    #: key the web front has not seen makes it read them at once).
    oidc_metadata_seconds: int = Field(default=3600, ge=0)
    #: How long a sign-in lasts (the token the services receive expires with it).
    session_hours: int = Field(default=8, ge=1, le=MAX_LIFETIME_SECONDS[Role.LEGAL] // 3600)
    #: Timeout of one call to a service, in seconds.
    service_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Where the sessions live (server side: the browser holds only their id). Redis when set (shared by
    #: every process and host of the web front), otherwise files under `CNUM_VAR_DIR/web-sessions`.
    session_redis_url: str = ""
    #: Send the session cookie over HTTPS only; production refuses to start without it.
    cookie_secure: bool | None = None

    var_dir: Path = Field(default=DEFAULT_VAR_DIR, validation_alias=_common("VAR_DIR"))
    #: The TLS proxy in front of the web front (infra/README.md): the only hop whose `X-Forwarded-For`
    #: the web front believes (addresses or networks, comma-separated). Not CNUM_TRUSTED_PROXIES, which
    #: names the web front itself for the services.
    trusted_proxies: str = ""

    #: No default: the web front never guesses whether it runs in production (DESIGN §5, fail closed).
    environment: Literal["development", "test", "production"] | None = Field(
        default=None, validation_alias=_common("ENVIRONMENT")
    )
    #: The web front issues the officers' tokens: it holds the private key (docs/decisions/0015).
    jwt_private_key_file: Path | None = Field(default=None, validation_alias=_common("JWT_PRIVATE_KEY_FILE"))
    #: Sign-out revokes the officer's token in the list every service reads.
    revocation_database_url: str = Field(default="", validation_alias=_common("REVOCATION_DATABASE_URL"))
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
        require_environment(self.environment)
        check_keys(self.environment, None, self.jwt_private_key_file, verifies=False, signs=True)
        if self.jwt_private_key_file is None:
            self.jwt_private_key_file = self.var_dir / DEVELOPMENT_PRIVATE_KEY
        self.revocation_database_url = shared_revocation_database_url(
            self.revocation_database_url, self.var_dir, self.environment
        )
        if not self.oidc_issuer and self.environment != "production":
            self.oidc_issuer = LOCAL_PROVIDER_ISSUER
        self.oidc_issuer = self.oidc_issuer.rstrip("/")
        self.base_url = self.base_url.rstrip("/")
        if self.cookie_secure is None:
            self.cookie_secure = self.environment == "production"
        if self.environment == "production":
            if not self.cookie_secure:
                raise ValueError("WEB_COOKIE_SECURE must be true in production (cookies over HTTPS only)")
            self._production_provider()
            if len(self.secret_key) < 32:
                raise ValueError("WEB_SECRET_KEY must be set in production, at least 32 random characters")
        return self

    def _production_provider(self) -> None:
        """Production signs officers in at the agency's provider only, and sends them back over HTTPS."""
        if not self.oidc_issuer:
            raise ValueError(
                "WEB_OIDC_ISSUER must be set in production: the agency's OpenID provider (ProConnect)"
            )
        if is_local_provider(self.oidc_issuer):
            raise ValueError(
                "WEB_OIDC_ISSUER must be the agency's OpenID provider over HTTPS in production, not the "
                f"local provider of development ({self.oidc_issuer})"
            )
        if self.oidc_client_id in ("", LOCAL_CLIENT_ID):
            raise ValueError("WEB_OIDC_CLIENT_ID must be the client id the provider gave, not the local one")
        if len(self.oidc_client_secret) < 16 or self.oidc_client_secret == LOCAL_CLIENT_SECRET:
            raise ValueError(
                "WEB_OIDC_CLIENT_SECRET must be the secret the provider gave (16 characters or more)"
            )
        if urlsplit(self.base_url).scheme != "https":
            raise ValueError("CNUM_WEB_BASE_URL must be an https:// address in production")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("WEB_OIDC_SCOPES must include openid")

    @property
    def redirect_uri(self) -> str:
        """Where the provider sends the officer back with the authorization code."""
        return f"{self.base_url}/connexion/retour"

    def signing_key(self) -> SigningKey:
        """The private key the officers' tokens are signed with; production refuses a development key."""
        assert self.jwt_private_key_file is not None  # set by the validator
        return load_signing_key(self.jwt_private_key_file, self.environment)

    @property
    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def session_directory(self) -> Path:
        return (self.var_dir / "web-sessions").resolve()

    def session_secret(self) -> str:
        if self.secret_key:
            return self.secret_key
        return hashlib.sha256(b"cnum-web-session:" + self.signing_key().private_pem()).hexdigest()

    def service_url(self, service: str) -> str:
        return {
            "conventions": self.conventions_url,
            "payments": self.payments_url,
            "compliance": self.compliance_url,
        }[service].rstrip("/")


def settings_from_environment(overrides: dict[str, object] | None = None) -> WebSettings:
    return load_settings(WebSettings, overrides)
