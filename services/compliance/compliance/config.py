"""Settings of the compliance service: `COMPLIANCE_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
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


def settings_from_environment() -> ComplianceSettings:
    return load_settings(ComplianceSettings)
