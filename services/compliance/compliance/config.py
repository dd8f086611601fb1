"""Settings of the compliance service: `COMPLIANCE_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.config import ServiceSettings, load_settings

#: The web front of `make run`, where the e-mails' links lead outside production.
DEVELOPMENT_WEB_BASE_URL = "http://127.0.0.1:5000"


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
    #: The web front's address as the structures reach it (`CNUM_WEB_BASE_URL`): the e-mails link each
    #: obligation to the structure's page for it, and each order to its PDF there, through the sign-in
    #: (decision 0044). Unset: the web front of `make run`; production needs its https:// address.
    web_base_url: str = Field(default="", validation_alias=AliasChoices("web_base_url", "CNUM_WEB_BASE_URL"))

    @field_validator("web_base_url")
    @classmethod
    def _an_http_address(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("CNUM_WEB_BASE_URL must be an http:// or https:// address")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _links_that_lead_somewhere(self) -> ComplianceSettings:
        """A link in an e-mail leaves the agency's network: in production it names the public address, over
        HTTPS; elsewhere the local web front will do."""
        if self.environment == "production":
            if not self.web_base_url.startswith("https://"):
                raise ValueError(
                    "CNUM_WEB_BASE_URL must be set in production to the web front's https:// address "
                    "(the links of the e-mails)"
                )
        elif not self.web_base_url:
            self.web_base_url = DEVELOPMENT_WEB_BASE_URL
        return self


def settings_from_environment() -> ComplianceSettings:
    return load_settings(ComplianceSettings)
