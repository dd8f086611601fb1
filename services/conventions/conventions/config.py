"""Settings of the conventions service: `CONVENTIONS_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cnum_shared.config import ServiceSettings, load_settings


class ConventionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVENTIONS_")

    service_name: ClassVar[str] = "conventions"
    port: int = Field(default=5001, ge=1, le=65535)


def settings_from_environment() -> ConventionsSettings:
    return load_settings(ConventionsSettings)
