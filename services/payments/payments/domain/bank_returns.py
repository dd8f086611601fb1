"""What the bank sends back, as the use cases read it: a payment status report (pain.002) and an account
statement or notification (camt.053, camt.054), and what each line of them came to.

The files are read and checked against their ISO 20022 schema by the adapter (adapters/bank_files.py);
the use cases get these dataclasses or `InvalidBankFile`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.errors import Invalid
from cnum_shared.core.state_machine import StateMachine


class BankFileKind(StrEnum):
    STATUS_REPORT = "pain.002"
    STATEMENT = "camt.053"
    NOTIFICATION = "camt.054"


class LineOutcome(StrEnum):
    #: The line changed something: a transfer returned, a run confirmed, a recovery received.
    APPLIED = "applied"
    #: The line matches, but what it says was already recorded (by an earlier file or by hand).
    ALREADY_APPLIED = "already_applied"
    #: The line matches and asks nothing (a transfer the bank accepted, a booking of a confirmed run).
    MATCHED = "matched"
    #: Nothing of cnum's matches it: an officer looks at it.
    UNMATCHED = "unmatched"


#: pain.002 transaction status "rejected" (ISO 20022 ExternalPaymentTransactionStatus1Code).
REJECTED = "RJCT"


@dataclass(frozen=True)
class TransactionStatus:
    """One `TxInfAndSts` of a pain.002: the transfer (by its end-to-end id), its status, the reason."""

    end_to_end_id: str | None
    status: str | None
    reason_code: str | None
    reason_text: str | None
    amount: Decimal | None


@dataclass(frozen=True)
class PaymentInformationStatus:
    """One `OrgnlPmtInfAndSts` of a pain.002: the payment information (batch) it answers and its status."""

    payment_information_id: str | None
    status: str | None
    reason_code: str | None
    reason_text: str | None


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    #: The MsgId of the pain.001 this report answers.
    original_message_id: str
    #: The group status (ACCP, RJCT, PART…), when the bank gives one.
    group_status: str | None
    transactions: tuple[TransactionStatus, ...]
    #: The group's reason (`OrgnlGrpInfAndSts/StsRsnInf`), when the bank gives one.
    group_reason_code: str | None = None
    group_reason_text: str | None = None
    payment_informations: tuple[PaymentInformationStatus, ...] = ()

    def whole_rejection(self) -> tuple[str | None, str | None] | None:
        """(code, text) of the bank's reason when it rejects the whole file: the group status RJCT, or a
        payment information RJCT (cnum's pain.001 puts a run's transfers in one payment information, one
        execution date: its rejection is the run's). None when the report rejects transfers one by one
        (PART) or none (ACCP, ACSC…)."""
        if self.group_status == REJECTED:
            return self.group_reason_code, self.group_reason_text
        for information in self.payment_informations:
            if information.status == REJECTED:
                return (
                    information.reason_code or self.group_reason_code,
                    information.reason_text or self.group_reason_text,
                )
        return None


@dataclass(frozen=True)
class StatementEntry:
    """One transaction of an entry (`Ntry/NtryDtls/TxDtls`), or the entry itself when it has no details."""

    credit: bool
    #: None when a batch booking lists its transfers without their amounts.
    amount: Decimal | None
    currency: str | None
    booking_date: date | None
    #: BOOK, PDNG or INFO: only booked entries confirm or receive anything.
    status: str
    end_to_end_id: str | None
    remittance: str
    bank_reference: str | None


@dataclass(frozen=True)
class Statement:
    kind: BankFileKind
    message_id: str
    account_iban: str | None
    entries: tuple[StatementEntry, ...]


class InvalidBankFile(Invalid):
    """The file is not a message of its kind, or does not validate against its schema (a 422 naming the
    first problems)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Fichier bancaire refusé : " + " ".join(problems[:1]), errors={"file": problems})
        self.problems = problems


#: A recovery's reference: what a structure writes on its transfer (end-to-end id or remittance text) so
#: the statement finds the recovery. 35 characters, the longest end-to-end id SEPA allows.
_RECOVERY_PREFIX = "CNR"
_RECOVERY_REFERENCE = re.compile(_RECOVERY_PREFIX + r"([0-9A-F]{32})")


def recovery_reference(recovery_id: uuid.UUID) -> str:
    return _RECOVERY_PREFIX + recovery_id.hex.upper()


def recovery_ids_in(*texts: str | None) -> list[uuid.UUID]:
    """The recoveries a transfer names, in order: spaces and case do not count (a bank may wrap or
    upper-case the remittance text)."""
    found: list[uuid.UUID] = []
    for text in texts:
        if not text:
            continue
        for match in _RECOVERY_REFERENCE.finditer(re.sub(r"\s+", "", text).upper()):
            recovery_id = uuid.UUID(match.group(1))
            if recovery_id not in found:
                found.append(recovery_id)
    return found


#: The reasons a SEPA transfer is most often rejected or returned (ISO 20022 ExternalStatusReason1Code,
#: as the EPC's SEPA Credit Transfer rulebook uses them), in the words an officer reads in the history.
REASONS = {
    "AC01": "numéro de compte incorrect",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AG01": "opération interdite sur ce compte",
    "AG02": "code opération invalide",
    "AM04": "provision insuffisante",
    "AM05": "opération en double",
    "BE04": "adresse du bénéficiaire absente",
    "CNOR": "banque du bénéficiaire non joignable",
    "DNOR": "banque du donneur d'ordre non joignable",
    "FF01": "format de fichier invalide",
    "MD07": "bénéficiaire décédé",
    "MS02": "refus du bénéficiaire",
    "MS03": "raison non précisée par la banque",
    "RC01": "BIC incorrect",
    "RR01": "identification du compte ou du client manquante",
    "RR02": "nom ou adresse du client manquant",
    "RR03": "nom ou adresse du bénéficiaire manquant",
    "RR04": "motif réglementaire",
}


def rejection_reason(code: str | None, text: str | None) -> str:
    """The history's reason for a rejected transfer: the bank's code, its meaning, the bank's words."""
    parts = [code or "sans code"]
    if code in REASONS:
        parts.append(REASONS[code])
    reason = " ".join(parts)
    return f"{reason} ({text})" if text else reason


#: A statement's end-to-end id when the payer gave none (EPC's SEPA rulebook): it names nothing.
NOT_PROVIDED = "NOTPROVIDED"


def line_identity(
    kind: BankFileKind,
    *,
    status: str | None,
    end_to_end_id: str | None,
    credit: bool | None = None,
    amount: Decimal | None = None,
    booking_date: date | None = None,
    bank_reference: str | None = None,
    payment_run_id: uuid.UUID | None = None,
) -> str | None:
    """What makes a line the same bank fact in another file: for a status report, the run, the transfer
    and its status; for a statement (camt.053 and camt.054 alike), the bank's reference of the
    transaction (`AcctSvcrRef`, else its end-to-end id), its direction, status, amount and booking date.
    None when the line names nothing that identifies it: such a line is never taken for another."""
    if kind == BankFileKind.STATUS_REPORT:
        if not end_to_end_id:
            return None
        return f"pain.002:{payment_run_id}:{end_to_end_id}:{status or ''}"
    end_to_end = end_to_end_id if end_to_end_id and end_to_end_id != NOT_PROVIDED else None
    reference = bank_reference or end_to_end
    if reference is None:
        return None
    direction = "C" if credit else "D"
    day = booking_date.isoformat() if booking_date else ""
    figure = f"{amount:.2f}" if amount is not None else ""
    return f"camt:{direction}:{status or ''}:{reference}:{end_to_end or ''}:{figure}:{day}"


class LineResolution(StrEnum):
    """What an officer made of an unmatched line of the work list (`GET /bank-statements/unmatched-lines`)."""

    OPEN = "open"
    #: The line pays an issued recovery that the bank's references did not name.
    RECEIVED = "received"
    #: Not the programme's to act on (not ours, a refund, other): the reason is kept.
    DISMISSED = "dismissed"


class LineResolutionEvent(StrEnum):
    RECEIVE = "receive"
    DISMISS = "dismiss"


BANK_LINES: StateMachine[LineResolution, LineResolutionEvent] = StateMachine(
    "bank_file_line",
    LineResolution,
    LineResolutionEvent,
    {
        (LineResolution.OPEN, LineResolutionEvent.RECEIVE): LineResolution.RECEIVED,
        (LineResolution.OPEN, LineResolutionEvent.DISMISS): LineResolution.DISMISSED,
    },
    labels={
        LineResolution.OPEN: "à traiter",
        LineResolution.RECEIVED: "reversement reçu",
        LineResolution.DISMISSED: "écartée",
    },
)


class DismissalReason(StrEnum):
    NOT_OURS = "not_ours"
    REFUND = "refund"
    OTHER = "other"


DISMISSAL_LABELS = {
    DismissalReason.NOT_OURS: "ne concerne pas le programme",
    DismissalReason.REFUND: "remboursement",
    DismissalReason.OTHER: "autre",
}
