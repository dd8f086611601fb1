"""Settings of the payments service: `PAYMENTS_*` variables, plus the common `CNUM_*` ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from cnum_shared.framework.config import ServiceSettings, load_settings


class PaymentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_")

    service_name: ClassVar[str] = "payments"
    port: int = Field(default=5002, ge=1, le=65535)
    #: The account SEPA payment runs are paid from (DESIGN §4); the defaults are a made-up but valid
    #: account of the Caisse des dépôts for `make run`; production sets its own.
    debtor_name: str = Field(default="Caisse des depots et consignations", min_length=1, max_length=70)
    debtor_iban: str = "FR7640031000010000001234555"
    debtor_bic: str = "CDCGFRPPXXX"

    @field_validator("debtor_iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        try:
            return str(IBAN(value).compact)
        except SchwiftyException as error:
            raise ValueError(f"not a valid IBAN: {error}") from None

    @field_validator("debtor_bic")
    @classmethod
    def _valid_bic(cls, value: str) -> str:
        try:
            return str(BIC(value))
        except SchwiftyException as error:
            raise ValueError(f"not a valid BIC: {error}") from None


def settings_from_environment() -> PaymentsSettings:
    return load_settings(PaymentsSettings)
