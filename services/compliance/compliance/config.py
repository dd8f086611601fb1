"""Settings of the compliance service: `COMPLIANCE_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.config import ServiceSettings, load_settings


class ComplianceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLIANCE_")

    service_name: ClassVar[str] = "compliance"
    port: int = Field(default=5003, ge=1, le=65535)
    #: How often the scheduler scans obligations and sends the day's digests (both idempotent; a
    #: structure gets at most one digest a day whatever the interval).
    scan_interval_minutes: int = Field(default=1, ge=1, le=1440)
    alert_interval_minutes: int = Field(default=2, ge=1, le=1440)
    #: Largest evidence file accepted (larger: 413).
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Where people reach the product's APIs from outside (`CNUM_PUBLIC_BASE_URL`): a recovery order's
    #: e-mail links to its PDF at `{base}/api/v1/recovery-orders/{id}/document?format=pdf` on the
    #: conventions service. Empty: the conventions service's own address (`CNUM_CONVENTIONS_URL`), which
    #: is right for `make run` only.
    public_base_url: str = Field(
        default="", validation_alias=AliasChoices("public_base_url", "CNUM_PUBLIC_BASE_URL")
    )

    @field_validator("public_base_url")
    @classmethod
    def _an_http_address(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("CNUM_PUBLIC_BASE_URL doit commencer par http:// ou https://")
        return value.rstrip("/")

    @property
    def documents_base_url(self) -> str:
        """The base of the links to the conventions service's documents that e-mails carry."""
        return self.public_base_url or self.conventions_url.rstrip("/")


def settings_from_environment() -> ComplianceSettings:
    return load_settings(ComplianceSettings)
