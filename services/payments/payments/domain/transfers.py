"""A credit transfer as a payment run states it, and the refusal of transfers the bank would reject.

The SEPA file itself is written by the adapter (adapters/sepa.py); the use cases hand it transfers and
get back either the file or `InvalidTransfers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from cnum_shared.core.errors import Invalid
from payments.domain.bank_returns import Statement, StatusReport


@dataclass(frozen=True)
class Account:
    """The agency's account (the Caisse des Dépôts'): payment runs are paid from it and the structures
    pay their recoveries back to it. Bootstrap builds it from the settings; the rules only read it."""

    name: str
    iban: str
    bic: str | None


@dataclass(frozen=True)
class CreditTransfer:
    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None
    amount: Decimal
    remittance: str


class InvalidTransfers(Invalid):
    """Every problem of a run, by place (`debtor.iban`, `lines[2].creditor_iban`…), in French (a 422)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Virement SEPA invalide.", errors={"sepa": problems})
        self.problems = problems


class TransferFiles(Protocol):
    """The bank's files, as bootstrap builds them once (adapters/sepa.py: pain.001 from the debtor's
    account); each refuses with InvalidTransfers. What the bank sends back is read by `status_report`
    (pain.002) and `statement` (camt.053/054, of the debtor's account only), refusing with
    `InvalidBankFile`."""

    def check(self, transfers: Sequence[CreditTransfer]) -> None: ...

    def pain001(
        self,
        transfers: Sequence[CreditTransfer],
        *,
        message_id: str,
        execution_date: date,
        created_at: datetime,
    ) -> bytes: ...

    def status_report(self, xml: bytes) -> StatusReport: ...

    def statement(self, xml: bytes) -> Statement: ...
