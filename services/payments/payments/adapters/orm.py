"""Tables of the payments service (SQLAlchemy 2, typed); migrations in services/payments/migrations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnum_shared.framework.audit_table import define_audit_table
from cnum_shared.framework.db import MONEY, UtcDateTime, enum_type, new_metadata
from cnum_shared.framework.events.tables import define_event_tables
from cnum_shared.framework.job_runs import define_job_runs_table
from cnum_shared.framework.read_cache import define_read_model_versions_table
from cnum_shared.framework.status_history import define_status_changes_table
from payments.domain.bank_returns import BankFileKind, DismissalReason, LineOutcome, LineResolution
from payments.domain.clawback import RecoveryKind, RecoveryStatus
from payments.domain.payments import PaymentRunStatus, PaymentStatus, RunLineStatus
from payments.domain.tranches import ConventionStatus, TrancheKind, TrancheStatus


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: MONEY, datetime: UtcDateTime, uuid.UUID: Uuid}


#: Outbox (events this service emits) and inbox (events it has consumed), in this service's database.
event_tables = define_event_tables(Base.metadata)
#: Every write through the API: who, what, when, and the answer (DESIGN §4).
audit_table = define_audit_table(Base.metadata)
#: The due times the scheduler claimed and ran, once each (decision 0038).
job_runs_table = define_job_runs_table(Base.metadata)
#: The data version of the cached tranche list, moved by triggers on every write of what it reads
#: (migration 0015, decision 0040).
read_model_versions_table = define_read_model_versions_table(Base.metadata)
#: Every change of status of payments, payment runs and their lines, and recoveries (the tranches keep
#: theirs in `tranche_history`).
status_changes_table = define_status_changes_table(Base.metadata)


class StructureCopy(Base):
    """What payments knows of a host structure, from `structure.updated` events (it never calls back)."""

    __tablename__ = "structures"

    structure_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(3))
    qpv_zrr: Mapped[bool]
    email: Mapped[str] = mapped_column(String(254))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    #: When the producer says the change this copy reflects happened (informative, never compared).
    last_event_at: Mapped[datetime]
    #: The conventions outbox sequence of the event this copy reflects: an older event never overwrites
    #: it (None for a copy made before events carried their sequence: the next event applies).
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)


class ConventionCopy(Base):
    """A signed convention as payments schedules it (from `convention.*` events)."""

    __tablename__ = "conventions"
    __table_args__ = (CheckConstraint("status IN ('active', 'terminated', 'closed')", name="status"),)

    convention_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    wave: Mapped[str] = mapped_column(String(16))
    posts: Mapped[int]
    start_date: Mapped[date]
    end_date: Mapped[date]
    funded_months: Mapped[int]
    amount_per_post: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    signed_on: Mapped[date]
    status: Mapped[ConventionStatus] = mapped_column(enum_type(ConventionStatus, length=12))
    ended_on: Mapped[date | None]
    #: The closing date its final statement was settled as of (`final_statement.settled` emitted once);
    #: None until then (decision 0031).
    settled_on: Mapped[date | None]
    #: The funded periods the convention states (article 6), as its events carry them:
    #: [{number, starts_on, ends_on, months, amount_per_post, monthly_rate}].
    funding_periods: Mapped[list[dict[str, str | int]] | None] = mapped_column(JSON)


class Tranche(Base):
    """A payable line of a convention: one of its tranches (`instalment`, as the convention states it),
    or a supplementary line (`regularisation`) when an avenant raised a tranche already approved or paid."""

    __tablename__ = "tranches"
    __table_args__ = (
        UniqueConstraint("convention_id", "number"),
        CheckConstraint(
            "status IN ('scheduled', 'due', 'approved', 'paid', 'blocked', 'cancelled')", name="status"
        ),
        CheckConstraint("amount >= 0", name="amount"),
        Index("ix_tranches_status_due_on", "status", "due_on"),
        # The order of GET /tranches: a page is read off the index instead of sorting every tranche.
        Index("ix_tranches_list_order", "due_on", "convention_id", "number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # No index of its own: the unique (convention_id, number) constraint's index serves these lookups.
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.convention_id"))
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    number: Mapped[int]
    amount: Mapped[Decimal]
    due_on: Mapped[date]
    status: Mapped[TrancheStatus] = mapped_column(enum_type(TrancheStatus, length=12))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    kind: Mapped[TrancheKind] = mapped_column(
        enum_type(TrancheKind, length=16), server_default="instalment", default=TrancheKind.INSTALMENT
    )
    #: For a regularisation line: the number of the instalment it completes, and the avenant.
    regularises: Mapped[int | None]
    amendment_number: Mapped[int | None]


class TrancheHistory(Base):
    """Every change of a tranche's state: from, to, who, why, when."""

    __tablename__ = "tranche_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tranche_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tranches.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class ContractCopy(Base):
    """An advisor's contract as payments checks it against the SMIC (from `contract.*` events)."""

    __tablename__ = "contracts"

    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.convention_id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(30))


class SalaryPeriod(Base):
    """A contract's gross monthly salary from a date (the signed salary, then each raise)."""

    __tablename__ = "salary_periods"
    __table_args__ = (UniqueConstraint("contract_id", "effective_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.contract_id"), index=True)
    effective_on: Mapped[date]
    salary: Mapped[Decimal]


class SmicCheck(Base):
    """One comparison of a contract's salary with the SMIC of its zone on a date."""

    __tablename__ = "smic_checks"
    __table_args__ = (UniqueConstraint("contract_id", "checked_on", "trigger"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.contract_id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(index=True)
    checked_on: Mapped[date]
    #: contract_signed, salary_changed, contract_ended, smic_revaluation or approval.
    trigger: Mapped[str] = mapped_column(String(20))
    zone: Mapped[str] = mapped_column(String(12))
    smic_monthly: Mapped[Decimal]
    smic_from: Mapped[date]
    salary: Mapped[Decimal]
    passed: Mapped[bool]
    created_at: Mapped[datetime]


class StandingCopy(Base):
    """What compliance last published of a structure (`structure.standing_changed`)."""

    __tablename__ = "standings"

    structure_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    blocking: Mapped[bool]
    #: [{obligation_id, kind, due_on}] as published.
    overdue: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    as_of: Mapped[date]
    #: When compliance says it published this standing (informative, never compared).
    last_event_at: Mapped[datetime]
    #: The compliance outbox sequence of the event this copy reflects: an older one never overwrites it.
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)


class Hold(Base):
    """Payments suspended by an admin, programme-wide (no structure) or for one structure."""

    __tablename__ = "holds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    structure_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None]


class Payment(Base):
    """A tranche paid: at most one `paid` per tranche, whatever the requests (the partial unique index).

    A payment the bank returned is kept, `returned` (with its history row): the tranche may be paid again.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("approved_by <> paid_by", name="four_eyes"),
        CheckConstraint("status IN ('paid', 'returned')", name="status"),
        Index(
            "uq_payments_tranche_id_paid",
            "tranche_id",
            unique=True,
            sqlite_where=text("status = 'paid'"),
            postgresql_where=text("status = 'paid'"),
        ),
        Index("ix_payments_tranche_id", "tranche_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tranche_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tranches.id"))
    amount: Mapped[Decimal]
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(140))
    approved_by: Mapped[str] = mapped_column(String(200))
    paid_by: Mapped[str] = mapped_column(String(200))
    payment_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_runs.id"))
    created_at: Mapped[datetime]
    status: Mapped[PaymentStatus] = mapped_column(
        enum_type(PaymentStatus, length=12), server_default="paid", default=PaymentStatus.PAID
    )


class IdempotencyKey(Base):
    """A request made with an `Idempotency-Key`: its body's hash and, once done, the answer to replay."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "method", "path", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    #: None while the first request runs.
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PaymentRun(Base):
    """A batch of approved tranches sent to the bank as one SEPA file."""

    __tablename__ = "payment_runs"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'exported', 'confirmed', 'cancelled')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[PaymentRunStatus] = mapped_column(enum_type(PaymentRunStatus, length=10))
    execution_date: Mapped[date]
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    #: (caller, Idempotency-Key) of the request that made it: a retry after a crash finds this run.
    request_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    number_of_transactions: Mapped[int]
    control_sum: Mapped[Decimal]
    sepa_xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    exported_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None]


class PaymentRunLine(Base):
    __tablename__ = "payment_run_lines"
    __table_args__ = (
        UniqueConstraint("payment_run_id", "tranche_id"),
        CheckConstraint("status IN ('included', 'paid', 'rejected')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    tranche_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tranches.id"), index=True)
    amount: Mapped[Decimal]
    creditor_name: Mapped[str] = mapped_column(String(300))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_bic: Mapped[str | None] = mapped_column(String(11))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    status: Mapped[RunLineStatus] = mapped_column(enum_type(RunLineStatus, length=10))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))


class Recovery(Base):
    """What a structure must pay back: a post that ended early (pro rata of the months it was occupied,
    DESIGN §4), the part of an avenant's reduction that had already been paid (`regularisation`), or what
    the final statement leaves owed when the convention is closed (`final_statement`, decision 0030)."""

    __tablename__ = "recoveries"
    __table_args__ = (
        UniqueConstraint("contract_id"),
        CheckConstraint(
            "status IN ('provisional', 'issued', 'received', 'offset', 'cancelled')", name="status"
        ),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("kind IN ('post_ended', 'regularisation', 'final_statement')", name="kind"),
        CheckConstraint(
            "(kind = 'post_ended' AND contract_id IS NOT NULL) "
            "OR (kind IN ('regularisation', 'final_statement') AND contract_id IS NULL)",
            name="contract_of_a_post",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contracts.contract_id"))
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.convention_id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount: Mapped[Decimal]
    #: Months of the convention in which the post was occupied (post_ended; 0 for a regularisation).
    months_started: Mapped[int]
    status: Mapped[RecoveryStatus] = mapped_column(enum_type(RecoveryStatus, length=12))
    #: A refill before this day cancels the recovery (DESIGN §4); a regularisation is due from its avenant.
    refill_deadline: Mapped[date]
    created_at: Mapped[datetime]
    kind: Mapped[RecoveryKind] = mapped_column(
        enum_type(RecoveryKind, length=16), server_default="post_ended", default=RecoveryKind.POST_ENDED
    )
    tranche_number: Mapped[int | None]
    amendment_number: Mapped[int | None]
    earned: Mapped[Decimal | None]
    paid_per_post: Mapped[Decimal | None]
    #: The day the money must have reached the agency's account: the day it was issued + the convention's
    #: repayment delay (decision 0031); None while provisional, and for recoveries issued before it.
    pay_by: Mapped[date | None]
    #: `offset`: the later tranche of the convention paid net of it (decision 0031).
    offset_tranche_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tranches.id"), index=True)
    #: post_ended: [{period, months, monthly_rate, earned}] (one per funded period the post occupied);
    #: regularisation: {tranche, signed, already, status, difference}; final_statement: {as_of, granted,
    #: earned, paid, balance, in_payment, claimed, to_settle}.
    computation: Mapped[dict[str, object] | list[dict[str, object]] | None] = mapped_column(JSON)


class BankFile(Base):
    """A file the bank sent back, imported once: a status report (pain.002) of a run, or a statement
    (camt.053) or notification (camt.054) of the debtor's account. Known by its SHA-256: importing the same
    bytes again finds this row and applies nothing."""

    __tablename__ = "bank_files"
    __table_args__ = (
        UniqueConstraint("sha256"),
        CheckConstraint("kind IN ('pain.002', 'camt.053', 'camt.054')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[BankFileKind] = mapped_column(enum_type(BankFileKind, length=8))
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file's own MsgId (GrpHdr).
    message_id: Mapped[str] = mapped_column(String(35))
    #: The run a status report answers (pain.002 only).
    payment_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    account_iban: Mapped[str | None] = mapped_column(String(34))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]


class BankFileLine(Base):
    """A line of a bank file (a transaction status, or a transaction of a statement entry) and what it came
    to. A line that changed something has an `applied_key` (what it changed), unique: the same return, booking
    or receipt is never applied twice, whichever file brings it again."""

    __tablename__ = "bank_file_lines"
    __table_args__ = (
        UniqueConstraint("bank_file_id", "position"),
        UniqueConstraint("applied_key"),
        CheckConstraint("outcome IN ('applied', 'already_applied', 'matched', 'unmatched')", name="outcome"),
        CheckConstraint("resolution IN ('open', 'received', 'dismissed')", name="resolution"),
        CheckConstraint("dismissed_reason IN ('not_ours', 'refund', 'other')", name="dismissed_reason"),
        CheckConstraint(
            "(resolution = 'dismissed') = (dismissed_reason IS NOT NULL)", name="dismissed_with_reason"
        ),
        CheckConstraint(
            "(resolution IS NULL OR resolution = 'open') = (resolved_at IS NULL)", name="resolved_when"
        ),
        Index("ix_bank_file_lines_unmatched", "outcome", "bank_file_id"),
        Index("ix_bank_file_lines_resolution", "resolution", "booking_date"),
        # A bank fact is listed once: the first line that brought it; the next ones name it.
        Index(
            "uq_bank_file_lines_identity_first",
            "identity",
            unique=True,
            sqlite_where=text("repeats_line_id IS NULL"),
            postgresql_where=text("repeats_line_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bank_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_files.id"))
    position: Mapped[int]
    #: Statements: a credit (money in) or a debit; None on a status report.
    credit: Mapped[bool | None]
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    booking_date: Mapped[date | None]
    end_to_end_id: Mapped[str | None] = mapped_column(String(35))
    remittance: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(35))
    #: pain.002: the transaction status (ACCP, RJCT…); statements: the entry status (BOOK, PDNG…).
    status: Mapped[str | None] = mapped_column(String(4))
    reason_code: Mapped[str | None] = mapped_column(String(35))
    outcome: Mapped[LineOutcome] = mapped_column(enum_type(LineOutcome, length=16))
    payment_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_runs.id"))
    tranche_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tranches.id"))
    recovery_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recoveries.id"))
    applied_key: Mapped[str | None] = mapped_column(String(80))
    #: Why the line matched nothing, or what an officer should know (in French).
    note: Mapped[str | None] = mapped_column(Text)
    #: The same bank fact in any file (`domain.bank_returns.line_identity`, with its rank in the file
    #: when a file holds it more than once); None when the line names nothing that identifies it.
    identity: Mapped[str | None] = mapped_column(String(200))
    #: The line of an earlier file that brought the same fact: this one applied nothing and is not listed.
    repeats_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bank_file_lines.id"))
    #: An unmatched line an officer is to deal with: open, then received or dismissed; None for the
    #: other lines (matched, applied, repeated, or an entry the bank has not booked).
    resolution: Mapped[LineResolution | None] = mapped_column(enum_type(LineResolution, length=10))
    dismissed_reason: Mapped[DismissalReason | None] = mapped_column(enum_type(DismissalReason, length=10))
    resolution_comment: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
