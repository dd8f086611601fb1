"""Settings of the conventions service: `CONVENTIONS_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

import os
from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.config import ServiceSettings, load_settings, require_seal


class ConventionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVENTIONS_")

    service_name: ClassVar[str] = "conventions"
    port: int = Field(default=5001, ge=1, le=65535)
    #: The warm LibreOffice pool (services/conventions/converter), started by `make run`.
    converter_url: str = "http://127.0.0.1:2002"
    #: How long a request waits for its PDF: the queue wait plus one conversion.
    converter_timeout_seconds: float = Field(default=120.0, gt=0)
    #: Documents a batch renders at once (the threads of the embedded queue in the scheduler process, and
    #: the default threads of `python -m conventions.worker`): one more than the converter has workers (one
    #: per core), so that while Python renders, stamps and seals one document every worker has one to convert.
    batch_concurrency: int = Field(default=(os.cpu_count() or 1) + 1, ge=1, le=64)
    #: The broker the document batches' messages go through (decision 0036), `amqp://user:password@host:
    #: 5672/vhost` (RabbitMQ): then workers (`python -m conventions.worker`) on any machine render them.
    #: Empty: an embedded queue in the scheduler process, which needs no broker server (`make run`).
    broker_url: str = Field(default="", validation_alias=AliasChoices("broker_url", "CNUM_BROKER_URL"))
    #: The queue of the batch items on that broker (tests give each run its own).
    batch_queue: str = Field(default="document_batches", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    #: Largest countersigned PDF accepted (larger: 413).
    signed_copy_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Largest template DOCX accepted (larger: 413).
    template_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)

    @field_validator("broker_url")
    @classmethod
    def _amqp_url(cls, value: str) -> str:
        if value and not value.startswith(("amqp://", "amqps://")):
            raise ValueError("must be an amqp:// or amqps:// URL (RabbitMQ), or empty for the embedded queue")
        return value

    @model_validator(mode="after")
    def _seal_in_production(self) -> ConventionsSettings:
        # This service seals every PDF it generates: production never starts without the agency's seal.
        require_seal(self)
        return self


def settings_from_environment() -> ConventionsSettings:
    return load_settings(ConventionsSettings)
