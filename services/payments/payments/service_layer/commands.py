"""What a caller asks of the payments use cases: one frozen dataclass per use case."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class MarkDue:
    as_of: date


@dataclass(frozen=True)
class IssueRecoveries:
    as_of: date


@dataclass(frozen=True)
class ApproveTranche:
    tranche_id: uuid.UUID
    approver: str
    #: The approval day: every gate is checked on it.
    on: date
    comment: str | None = None


@dataclass(frozen=True)
class PayTranche:
    tranche_id: uuid.UUID
    payer: str
    paid_on: date
    reference: str
    #: The day of the request: the gates are checked again on it.
    today: date


@dataclass(frozen=True)
class PlaceHold:
    structure_id: uuid.UUID | None
    reason: str
    by: str


@dataclass(frozen=True)
class ReleaseHold:
    hold_id: uuid.UUID
    by: str


@dataclass(frozen=True)
class CreatePaymentRun:
    #: None: every approved tranche not already in an open run.
    tranche_ids: Sequence[uuid.UUID] | None
    execution_date: date
    created_by: str
    today: date
    #: (caller, Idempotency-Key) of the request: a retry after a crash finds the run it made.
    request_key: str | None = None


@dataclass(frozen=True)
class ExportPaymentRun:
    run_id: uuid.UUID
    now: datetime
    by: str


@dataclass(frozen=True)
class ConfirmPaymentRun:
    run_id: uuid.UUID
    confirmed_by: str
    paid_on: date


@dataclass(frozen=True)
class RejectLines:
    run_id: uuid.UUID
    #: tranche id → the bank's reason.
    rejections: Mapping[uuid.UUID, str]
    by: str


@dataclass(frozen=True)
class CancelPaymentRun:
    run_id: uuid.UUID
    by: str


@dataclass(frozen=True)
class RecheckSmic:
    as_of: date


@dataclass(frozen=True)
class ClaimKey:
    principal: str
    method: str
    path: str
    key: str
    request_hash: str
    now: datetime


@dataclass(frozen=True)
class ImportStatusReport:
    """A pain.002 the bank sent for a run: the file's bytes as uploaded."""

    run_id: uuid.UUID
    content: bytes
    by: str


@dataclass(frozen=True)
class ImportStatement:
    """A camt.053 or camt.054 of the debtor's account: the file's bytes as uploaded."""

    content: bytes
    by: str
