"""Settings read from the environment, validated once at start-up.

Each service subclasses `ServiceSettings` with its own prefix (`CONVENTIONS_`, `PAYMENTS_`,
`COMPLIANCE_`); what the three share is read from `CNUM_` variables. Every setting has a default that
works for `make run`, so a new machine needs no configuration at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cnum_shared.core.addresses import IPNetwork, parse_networks
from cnum_shared.framework.auth import KeyFileError, SigningKey, VerificationKeys

#: Where `cnum keys` writes the development key pair, under CNUM_VAR_DIR (`make run` does it once).
DEVELOPMENT_PRIVATE_KEY = Path("keys/development-jwt-private.pem")
DEVELOPMENT_PUBLIC_KEY = Path("keys/development-jwt-public.pem")
#: Where `cnum seal-authority` writes the local test authority of the seal (cnum_shared.framework.seal).
DEVELOPMENT_SEAL_KEY = Path("seal/seal-key.pem")
DEVELOPMENT_SEAL_CERTIFICATE = Path("seal/seal-certificate.pem")
DEVELOPMENT_SEAL_ROOTS = Path("seal/authority-root.pem")


#: Where every process of `make run` keeps what it writes (SQLite files, documents, sessions, keys, the
#: revocation list, e-mails, the converter's profiles) unless CNUM_VAR_DIR names another directory.
DEFAULT_VAR_DIR = Path("var")


def var_dir_from_environment(environ: Mapping[str, str] | None = None) -> Path:
    """CNUM_VAR_DIR as the settings read it, for a process without a settings class (the mail sink)."""
    value = (os.environ if environ is None else environ).get("CNUM_VAR_DIR", "")
    return Path(value) if value else DEFAULT_VAR_DIR


class ConfigurationError(RuntimeError):
    """The environment does not describe a valid configuration; the message says what to fix."""


def _common(name: str) -> Any:
    """A field read from `CNUM_<NAME>`, whatever the service's own prefix."""
    return AliasChoices(name.lower(), f"CNUM_{name}")


class ServiceSettings(BaseSettings):
    """What every service reads; subclasses set `env_prefix` and add their own fields."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    # Own settings (prefixed by the service).
    database_url: str = ""
    port: int = Field(default=5000, ge=1, le=65535)
    max_content_length: int = Field(default=20 * 1024 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Common settings (CNUM_*).
    #: No default: a service never guesses whether it runs in production (DESIGN §5, fail closed).
    environment: Literal["development", "test", "production"] | None = Field(
        default=None, validation_alias=_common("ENVIRONMENT")
    )
    #: The issuers' public key(s), PEM (several one after the other while a key is rotated). Development
    #: and tests default to the pair `cnum keys` writes under CNUM_VAR_DIR; production must name its own.
    jwt_public_key_file: Path | None = Field(default=None, validation_alias=_common("JWT_PUBLIC_KEY_FILE"))
    #: The private key, for the issuers only: here, the outbox relay of the scheduler process. The web
    #: workers of a service never load it.
    jwt_private_key_file: Path | None = Field(default=None, validation_alias=_common("JWT_PRIVATE_KEY_FILE"))
    #: The agency's electronic seal (cnum_shared.framework.seal, decision 0023): its private key (PEM) and
    #: its certificate followed by its chain (PEM). Development and tests default to the local test
    #: authority `cnum seal-authority` writes under CNUM_VAR_DIR/seal; production must name its own.
    seal_key_file: Path | None = Field(default=None, validation_alias=_common("SEAL_KEY_FILE"))
    seal_certificate_file: Path | None = Field(
        default=None, validation_alias=_common("SEAL_CERTIFICATE_FILE")
    )
    #: The roots (PEM bundle) the seal chains to: a PDF whose signature chains to one is "ours".
    seal_trust_roots_file: Path | None = Field(
        default=None, validation_alias=_common("SEAL_TRUST_ROOTS_FILE")
    )
    #: The roots (PEM bundle) trusted for other signatures (the structures' countersignatures); none by
    #: default: such a signature is then shown intact but untrusted.
    signature_trust_roots_file: Path | None = Field(
        default=None, validation_alias=_common("SIGNATURE_TRUST_ROOTS_FILE")
    )
    #: The revocation list (cnum_shared.framework.revocation), shared by the issuers and the services.
    revocation_database_url: str = Field(default="", validation_alias=_common("REVOCATION_DATABASE_URL"))
    revocation_cache_seconds: float = Field(
        default=5.0, ge=0, le=60, validation_alias=_common("REVOCATION_CACHE_SECONDS")
    )
    var_dir: Path = Field(default=DEFAULT_VAR_DIR, validation_alias=_common("VAR_DIR"))
    conventions_url: str = Field(default="http://127.0.0.1:5001", validation_alias=_common("CONVENTIONS_URL"))
    payments_url: str = Field(default="http://127.0.0.1:5002", validation_alias=_common("PAYMENTS_URL"))
    compliance_url: str = Field(default="http://127.0.0.1:5003", validation_alias=_common("COMPLIANCE_URL"))
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_common("SMTP_HOST"))
    smtp_port: int = Field(default=8025, ge=1, le=65535, validation_alias=_common("SMTP_PORT"))
    mail_from: str = Field(
        default="Conseiller numérique <ne-pas-repondre@conseiller-numerique.example>",
        validation_alias=_common("MAIL_FROM"),
    )
    compliance_officer_email: str = Field(
        default="conformite@conseiller-numerique.example",
        validation_alias=_common("COMPLIANCE_OFFICER_EMAIL"),
    )
    # Outbox relay: how often the scheduler delivers, and the back-off between failed attempts.
    relay_interval_seconds: float = Field(
        default=2.0, gt=0, validation_alias=_common("RELAY_INTERVAL_SECONDS")
    )
    relay_batch_size: int = Field(default=200, ge=1, validation_alias=_common("RELAY_BATCH_SIZE"))
    relay_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias=_common("RELAY_TIMEOUT_SECONDS")
    )
    relay_backoff_base_seconds: float = Field(
        default=2.0, ge=0, validation_alias=_common("RELAY_BACKOFF_BASE_SECONDS")
    )
    relay_backoff_max_seconds: float = Field(
        default=600.0, ge=0, validation_alias=_common("RELAY_BACKOFF_MAX_SECONDS")
    )
    # Scheduler (decision 0038): how often a standby tries to take over from a leader that died (and a
    # leader checks it still leads), how late a missed due time still runs, how long interval ticks stay
    # in the `job_runs` ledger.
    scheduler_takeover_seconds: float = Field(
        default=5.0, gt=0, validation_alias=_common("SCHEDULER_TAKEOVER_SECONDS")
    )
    scheduler_misfire_grace_seconds: int = Field(
        default=3600, gt=0, validation_alias=_common("SCHEDULER_MISFIRE_GRACE_SECONDS")
    )
    scheduler_history_hours: float = Field(
        default=24.0, gt=0, validation_alias=_common("SCHEDULER_HISTORY_HOURS")
    )

    #: Rendered pages kept per process by the lists that answer from the read cache (decision 0040), the
    #: least recently used evicted first (at most ~60 KB each, a page of 100); 0 keeps none.
    read_cache_size: int = Field(default=256, ge=0, validation_alias=_common("READ_CACHE_SIZE"))

    #: The addresses (or networks, comma-separated) of the proxies whose `X-Forwarded-For` the service
    #: believes: the web front, in front of which the TLS proxy sits (infra/README.md). Empty: nobody's,
    #: and every log records the address that connected.
    trusted_proxies: str = Field(default="", validation_alias=_common("TRUSTED_PROXIES"))

    #: Tests only: the instant the service's clock shows (refused outside CNUM_ENVIRONMENT=test).
    fake_now: datetime | None = Field(default=None, validation_alias=_common("FAKE_NOW"))

    #: Service name, set by each subclass; used for default paths and as the events' `producer`.
    service_name: ClassVar[str] = "service"

    @field_validator("database_url", "revocation_database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value

    @field_validator("conventions_url", "payments_url", "compliance_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @model_validator(mode="after")
    def _defaults_and_production_rules(self) -> ServiceSettings:
        require_environment(self.environment)
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / f'{self.service_name}.sqlite3').resolve()}"
        if self.fake_now is not None and self.environment != "test":
            raise ValueError("CNUM_FAKE_NOW is for tests only (CNUM_ENVIRONMENT=test)")
        if self.fake_now is not None and self.fake_now.tzinfo is None:
            self.fake_now = self.fake_now.replace(tzinfo=UTC)
        check_keys(self.environment, self.jwt_public_key_file, self.jwt_private_key_file)
        if self.jwt_public_key_file is None:
            self.jwt_public_key_file = self.var_dir / DEVELOPMENT_PUBLIC_KEY
        if self.jwt_private_key_file is None:
            self.jwt_private_key_file = self.var_dir / DEVELOPMENT_PRIVATE_KEY
        if self.environment != "production":
            self.seal_key_file = self.seal_key_file or self.var_dir / DEVELOPMENT_SEAL_KEY
            self.seal_certificate_file = (
                self.seal_certificate_file or self.var_dir / DEVELOPMENT_SEAL_CERTIFICATE
            )
            self.seal_trust_roots_file = self.seal_trust_roots_file or self.var_dir / DEVELOPMENT_SEAL_ROOTS
        self.revocation_database_url = shared_revocation_database_url(
            self.revocation_database_url, self.var_dir, self.environment
        )
        return self

    def verification_keys(self) -> VerificationKeys:
        """The public keys this service accepts, read once; refuses a development key in production."""
        assert self.jwt_public_key_file is not None  # set by the validator
        return load_verification_keys(self.jwt_public_key_file, self.environment)

    def signing_key(self) -> SigningKey:
        """The issuers' private key (the relay's tokens), read once."""
        assert self.jwt_private_key_file is not None  # set by the validator
        return load_signing_key(self.jwt_private_key_file, self.environment)

    def service_url(self, service: str) -> str:
        """Base URL of a sibling service, as configured by `CNUM_<SERVICE>_URL`."""
        urls = {
            "conventions": self.conventions_url,
            "payments": self.payments_url,
            "compliance": self.compliance_url,
        }
        return urls[service]


def require_seal(settings: ServiceSettings) -> None:
    """A process that seals documents (the conventions service) names its seal in production: the local
    test authority's files under var/ are never defaults there (their certificates are refused too,
    when the seal is read: cnum_shared.framework.seal.AgencySeal.from_files)."""
    if settings.environment != "production":
        return
    missing = [
        variable
        for variable, value in (
            ("CNUM_SEAL_KEY_FILE", settings.seal_key_file),
            ("CNUM_SEAL_CERTIFICATE_FILE", settings.seal_certificate_file),
            ("CNUM_SEAL_TRUST_ROOTS_FILE", settings.seal_trust_roots_file),
        )
        if value is None
    ]
    if missing:
        raise ValueError(f"{', '.join(missing)} must be set in production (the agency's electronic seal)")


def require_environment(environment: str | None) -> None:
    """Fail closed (DESIGN §5): no process guesses whether it runs in production."""
    if environment is None:
        raise ValueError(
            "CNUM_ENVIRONMENT must be set to development, test or production (nothing starts without it)"
        )


def shared_revocation_database_url(url: str, var_dir: Path, environment: str | None) -> str:
    """The revocation list's URL: a SQLite file under `var_dir` by default; PostgreSQL in production,
    where the services and the issuers run on several machines and must share one list."""
    url = url or f"sqlite:///{(var_dir / 'revocations.sqlite3').resolve()}"
    if environment == "production" and url.startswith("sqlite"):
        raise ValueError("CNUM_REVOCATION_DATABASE_URL must name a PostgreSQL database in production")
    return url


def check_keys(
    environment: str | None,
    public_key_file: Path | None,
    private_key_file: Path | None,
    *,
    verifies: bool = True,
    signs: bool = False,
) -> None:
    """Production names its own key files: the development defaults under var/ are refused. A process
    that `verifies` tokens (every service) needs the public key; one that `signs` (the web front), the
    private key."""
    if environment != "production":
        return
    if verifies and public_key_file is None:
        raise ValueError("CNUM_JWT_PUBLIC_KEY_FILE must be set in production (the issuers' public key)")
    if signs and private_key_file is None:
        raise ValueError("CNUM_JWT_PRIVATE_KEY_FILE must be set in production (this process signs tokens)")
    for path in (public_key_file, private_key_file):
        if path is not None and path.name.startswith("development-"):
            raise ValueError(f"{path} is a development key file: refused in production")


@lru_cache(maxsize=16)
def _read_keys_cached(path: Path, modified: float, public: bool) -> SigningKey | VerificationKeys:
    data = path.read_bytes()
    return VerificationKeys.from_pem(data) if public else SigningKey.from_pem(data)


def _read_keys(path: Path, *, public: bool) -> SigningKey | VerificationKeys:
    """A key file, read again only when it changes: the relay, which signs on each run, picks up a new
    private key without a restart (the services keep the public keys they read at start)."""
    what = "public key (CNUM_JWT_PUBLIC_KEY_FILE)" if public else "private key (CNUM_JWT_PRIVATE_KEY_FILE)"
    try:
        return _read_keys_cached(path.resolve(), path.stat().st_mtime, public)
    except FileNotFoundError:
        raise ConfigurationError(
            f"the {what} {path} does not exist; for development run `cnum keys` (make run does)"
        ) from None
    except (OSError, KeyFileError) as error:
        raise ConfigurationError(f"the {what} {path} cannot be used: {error}") from None


def load_verification_keys(path: Path, environment: str | None) -> VerificationKeys:
    keys = _read_keys(path, public=True)
    assert isinstance(keys, VerificationKeys)
    if keys.development and environment == "production":
        raise ConfigurationError(f"{path} is a development key: refused in production")
    return keys


def load_signing_key(path: Path, environment: str | None) -> SigningKey:
    key = _read_keys(path, public=False)
    assert isinstance(key, SigningKey)
    if key.development and environment == "production":
        raise ConfigurationError(f"{path} is a development key: refused in production")
    return key


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], overrides: Mapping[str, Any] | None = None) -> SettingsT:
    """Read the environment (overridden by `overrides`, keyed by field name) or fail with a clear message."""
    try:
        return cls(**{key.lower(): value for key, value in (overrides or {}).items()})
    except ValidationError as error:
        prefix = cls.model_config.get("env_prefix", "")
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'settings'}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigurationError(
            f"invalid configuration ({prefix}* / CNUM_* variables): {problems}"
        ) from None
