"""What the use cases are asked to do: typed, immutable commands (never a dict of anything)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from compliance.domain.obligations import ObligationEvent


# --- From the API ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecideObligation:
    """An officer fulfils, waives, extends (with `due_on`) or escalates an obligation, with a reason."""

    obligation_id: uuid.UUID
    event: ObligationEvent
    by: str
    reason: str
    today: date
    due_on: date | None = None


@dataclass(frozen=True)
class AddEvidence:
    obligation_id: uuid.UUID
    content: bytes
    file_name: str
    by: str


@dataclass(frozen=True)
class RecordTraining:
    """A training step; with `structure_id` (a structure records), only its own contracts are known."""

    contract_id: uuid.UUID
    kind: str
    on: date
    hours: int | None
    by: str
    today: date
    structure_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RecordExemption:
    contract_id: uuid.UUID
    qualification: str
    obtained_on: date
    content: bytes
    file_name: str
    by: str
    today: date


@dataclass(frozen=True)
class ImportActivityReports:
    """CRA rows as sent (JSON objects or CSV lines); with `structure_id`, only its own contracts."""

    rows: tuple[Mapping[str, Any], ...]
    today: date
    structure_id: uuid.UUID | None = None


# --- From the jobs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanObligations:
    as_of: date


@dataclass(frozen=True)
class CreateDigests:
    as_of: date


@dataclass(frozen=True)
class AlertMail:
    """A pending alert as it is mailed: its headers, its template and what the template shows."""

    alert_id: uuid.UUID
    #: The template's name (templates/<template>.txt.j2 and .html.j2): the alert's kind.
    template: str
    subject: str
    recipients: tuple[str, ...]
    message_id: str
    context: Mapping[str, Any]
    #: It tells an escalation: the compliance officer is copied.
    copy_officer: bool


@dataclass(frozen=True)
class SendAlert:
    mail: AlertMail
    now: datetime


# --- From payments' events --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    name: str
    iban: str
    bic: str | None


@dataclass(frozen=True)
class RecordRecoveryIssued:
    """`recovery.issued`: the order of a recovery, to e-mail to the structure (figures as carried)."""

    recovery_id: uuid.UUID
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    structure_email: str
    occurred_at: datetime
    convention_reference: str
    kind: str
    amount: Decimal
    issued_on: date
    pay_by: date
    repayment_delay_days: int
    payment_reference: str
    pay_to: Account
    computation: Any
    contract_id: uuid.UUID | None
    months_started: int
    earned: Decimal | None
    paid_per_post: Decimal | None


@dataclass(frozen=True)
class Settlement:
    """What closing booked, as `final_statement.settled` says it: a payable line or a recovery."""

    kind: str
    id: uuid.UUID
    amount: Decimal


@dataclass(frozen=True)
class RecordFinalStatementSettled:
    """`final_statement.settled`: a closed convention's final statement and what closing booked, to e-mail
    to the structure (figures as carried)."""

    convention_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    structure_email: str
    occurred_at: datetime
    convention_reference: str
    closed_on: date
    as_of: date
    granted: Decimal
    earned: Decimal
    paid: Decimal
    balance: Decimal
    to_pay: Decimal
    to_recover: Decimal
    in_payment: Decimal
    claimed: Decimal
    to_settle: Decimal
    #: What closing booked: `payment` or `recovery`, its id and amount; None when nothing was left.
    settlement: Settlement | None


# --- From conventions' events ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contact:
    """A structure's contact as an event carries it, with the producer's sequence of that event (None for
    an event of another producer than conventions, whose order is not conventions': such a contact only
    introduces a structure compliance has not heard of, and never replaces what conventions said)."""

    structure_id: uuid.UUID
    name: str
    email: str
    occurred_at: datetime
    sequence: int | None


@dataclass(frozen=True)
class RecordConventionSigned:
    contact: Contact
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    reference: str
    signed_on: date
    end_date: date
    posts: int


@dataclass(frozen=True)
class RecordConventionAmended:
    contact: Contact
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    amendment_id: uuid.UUID
    number: int
    signed_on: date
    effective_date: date
    posts_before: int
    posts: int


@dataclass(frozen=True)
class RecordConventionEnded:
    contact: Contact
    convention_id: uuid.UUID
    terminated: bool
    on: date


@dataclass(frozen=True)
class RecordCandidatePresented:
    contact: Contact
    candidate_id: uuid.UUID
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    advisor_id: uuid.UUID
    presented_on: date


@dataclass(frozen=True)
class RecordCandidateSelected:
    contact: Contact
    candidate_id: uuid.UUID
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    selected_on: date


@dataclass(frozen=True)
class RecordContractSigned:
    contact: Contact
    contract_id: uuid.UUID
    convention_id: uuid.UUID
    structure_id: uuid.UUID
    advisor_id: uuid.UUID
    start_date: date
    end_date: date | None
    signed_on: date


@dataclass(frozen=True)
class RecordContractEnded:
    contract_id: uuid.UUID
    ended_on: date
