"""Settings of the payments service: `PAYMENTS_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cnum_shared.config import ServiceSettings, load_settings


class PaymentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_")

    service_name: ClassVar[str] = "payments"
    port: int = Field(default=5002, ge=1, le=65535)


def settings_from_environment() -> PaymentsSettings:
    return load_settings(PaymentsSettings)
