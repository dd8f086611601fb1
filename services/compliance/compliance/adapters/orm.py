"""Tables of the compliance service (SQLAlchemy 2, typed); migrations in services/compliance/migrations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
    text,
)
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column
from sqlalchemy.orm.base import NO_VALUE

from cnum_shared.framework.audit_table import define_audit_table
from cnum_shared.framework.db import MONEY, UtcDateTime, enum_type, new_metadata
from cnum_shared.framework.events.tables import define_event_tables
from cnum_shared.framework.job_runs import define_job_runs_table
from cnum_shared.framework.status_history import define_status_changes_table
from compliance.domain.alerts import AlertKind, AlertStatus
from compliance.domain.obligations import ConventionStatus, ObligationStatus


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: MONEY, datetime: UtcDateTime, uuid.UUID: Uuid}


#: Outbox (events this service emits) and inbox (events it has consumed), in this service's database.
event_tables = define_event_tables(Base.metadata)
#: Every write through the API: who, what, when, and the answer (DESIGN §4).
audit_table = define_audit_table(Base.metadata)
#: The due times the scheduler claimed and ran, once each (decision 0038).
job_runs_table = define_job_runs_table(Base.metadata)
#: The history of the alerts' statuses (obligations keep theirs in `obligation_history`).
status_changes_table = define_status_changes_table(Base.metadata)


class _NamedAfterItsStructure:
    """A row that reads its structure's name with it (`structure_name`, a column property)."""

    @property
    def loaded_structure_name(self) -> str | None:
        """The name when it was read with the row; never a query after the unit of work has ended."""
        value = inspect_row(self).attrs.structure_name.loaded_value
        return None if value is NO_VALUE else cast(str | None, value)


class StructureContact(Base):
    """Whom to write to about a structure (from the details that conventions' events carry)."""

    __tablename__ = "structures"

    structure_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(254))
    #: When conventions says the change this contact reflects happened (informative, never compared).
    last_event_at: Mapped[datetime]
    #: The conventions outbox sequence of the event this contact reflects: an older one never overwrites
    #: it (None for a contact made before events carried their sequence: the next event applies).
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)


class ConventionCopy(Base):
    __tablename__ = "conventions"

    convention_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    end_date: Mapped[date]
    status: Mapped[ConventionStatus] = mapped_column(enum_type(ConventionStatus, length=12))


class ContractCopy(Base):
    __tablename__ = "contracts"

    contract_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.convention_id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    signed_on: Mapped[date]
    ended_on: Mapped[date | None]
    #: Whose contract it is (from `contract.signed`): a presented advisor who is then hired fills one post.
    advisor_id: Mapped[uuid.UUID | None]


class Obligation(_NamedAfterItsStructure, Base):
    """Something a structure owes by a date (DESIGN §3), created by an event of its legal date."""

    __tablename__ = "obligations"
    __table_args__ = (
        UniqueConstraint("natural_key"),
        CheckConstraint("status IN ('open', 'due_soon', 'overdue', 'fulfilled', 'waived')", name="status"),
        Index("ix_obligations_status_due_on", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: kind:subject[:period]: one obligation per case, whatever the replays of its event.
    natural_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    #: The structure's name, read with the row (lists show people names, not ids); a change of the row
    #: does not change it, so a flush need not expire it.
    structure_name: Mapped[str | None] = column_property(
        select(StructureContact.name).where(StructureContact.structure_id == structure_id).scalar_subquery(),
        expire_on_flush=False,
    )
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.convention_id"), index=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID | None]
    #: The advisor whose presentation or contract settled a post's candidate presentation (one post per
    #: advisor and convention).
    advisor_id: Mapped[uuid.UUID | None]
    #: The first day of the month an activity-reporting obligation is about, or of the calendar year a
    #: continuing-training one is about.
    period: Mapped[date | None]
    status: Mapped[ObligationStatus] = mapped_column(enum_type(ObligationStatus, length=10))
    due_on: Mapped[date]
    #: The legal source of the delay (the parameter's reference).
    source: Mapped[str] = mapped_column(Text)
    #: How many times an officer escalated it (`/escalate`); the next digest copies the compliance
    #: officer for each escalation not yet told.
    escalation_requests: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ObligationHistory(Base):
    __tablename__ = "obligation_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    obligation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("obligations.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class Evidence(Base):
    """One revision of a file a structure uploaded for an obligation (never served back as active content)."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("obligation_id", "revision"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    obligation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("obligations.id"), index=True)
    revision: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class TrainingRecord(Base):
    __tablename__ = "training_records"
    __table_args__ = (
        CheckConstraint("kind IN ('training_entry', 'training_end', 'pix', 'ccp1', 'module')", name="kind"),
        CheckConstraint("kind <> 'module' OR hours IN (7, 14)", name="module_hours"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.contract_id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[date]
    hours: Mapped[int | None]
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class TrainingExemption(Base):
    """An advisor who already holds the CCP1 or the whole title: no initial training, no certification
    exams. The evidence is kept as uploaded, hashed (never served back as active content)."""

    __tablename__ = "training_exemptions"
    __table_args__ = (
        UniqueConstraint("contract_id"),
        CheckConstraint("qualification IN ('ccp1', 'title')", name="qualification"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.contract_id"))
    qualification: Mapped[str] = mapped_column(String(10))
    obtained_on: Mapped[date]
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    path: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ActivityReport(Base):
    """A compte rendu d'activité (CRA), imported once per external id within its structure (two
    structures may use the same external id)."""

    __tablename__ = "activity_reports"
    __table_args__ = (
        UniqueConstraint("structure_id", "external_id"),
        Index("ix_activity_reports_contract_date", "contract_id", "date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    external_id: Mapped[str] = mapped_column(String(100))
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.contract_id"))
    #: The contract's structure, whose external ids this one must not repeat.
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"))
    date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(40))
    duration_minutes: Mapped[int]
    participants: Mapped[int]
    created_at: Mapped[datetime]


class Standing(Base):
    """What was last published of a structure's standing (`structure.standing_changed`)."""

    __tablename__ = "standings"

    structure_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    blocking: Mapped[bool]
    #: Sorted ids of the overdue obligations: a change of this set is published.
    overdue_ids: Mapped[list[str]] = mapped_column(JSON)
    as_of: Mapped[date]
    published_at: Mapped[datetime]


class Alert(_NamedAfterItsStructure, Base):
    """One e-mail to a structure: its digest of a day (at most one a day), the order of a recovery, or the
    final statement of a closed convention."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("key"),
        CheckConstraint("status IN ('pending', 'sent')", name="status"),
        CheckConstraint("kind IN ('digest', 'recovery_order', 'final_statement')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[AlertKind] = mapped_column(enum_type(AlertKind, length=20))
    #: What the e-mail is about (`alert_key`): `digest:<structure>:<day>`, `recovery_order:<recovery>`,
    #: `final_statement:<convention>`.
    #: Unique: whatever the replays and the concurrent runs, the same thing is never mailed twice.
    key: Mapped[str] = mapped_column(String(80))
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.structure_id"), index=True)
    #: The structure's name, read with the row (lists show people names, not ids); a change of the row
    #: does not change it, so a flush need not expire it.
    structure_name: Mapped[str | None] = column_property(
        select(StructureContact.name).where(StructureContact.structure_id == structure_id).scalar_subquery(),
        expire_on_flush=False,
    )
    #: The day of a digest; the day a recovery was issued, for its order; the closing date, for a final
    #: statement.
    digest_date: Mapped[date]
    recipients: Mapped[list[str]] = mapped_column(JSON)
    cc: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[AlertStatus] = mapped_column(enum_type(AlertStatus, length=10), index=True)
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    message_id: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AlertItem(Base):
    """An (obligation, step) an alert told about: each is told once, and each officer's escalation once.

    Steps: the deadline's (`due_soon`, `overdue`, `escalation` 15 days later) and, for activity reports,
    the programme's reminders (`reminder_1`, `reminder_2`: 1 and 1.5 months without a report) before
    their `escalation`.
    """

    __tablename__ = "alert_items"
    __table_args__ = (
        UniqueConstraint("obligation_id", "step", "officer_request"),
        CheckConstraint(
            "step IN ('due_soon', 'overdue', 'escalation', 'reminder_1', 'reminder_2')", name="step"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id"), index=True)
    obligation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("obligations.id"))
    step: Mapped[str] = mapped_column(String(12))
    #: 0 for the steps the calendar brings; n for the officer's n-th `/escalate` of the obligation.
    officer_request: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class RecoveryOrder(Base):
    """A recovery payments issued, as its `recovery.issued` states it: what the order's e-mail says.

    Payments computed every figure (decision 0014): they are stored as carried, never recomputed.
    """

    __tablename__ = "recovery_orders"
    __table_args__ = (
        UniqueConstraint("alert_id"),
        CheckConstraint("kind IN ('post_ended', 'regularisation', 'final_statement')", name="kind"),
    )

    recovery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id"))
    convention_id: Mapped[uuid.UUID]
    convention_reference: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    issued_on: Mapped[date]
    pay_by: Mapped[date]
    repayment_delay_days: Mapped[int]
    #: What the structure writes on its transfer (CNR + 32 hex digits, decision 0027).
    payment_reference: Mapped[str] = mapped_column(String(35))
    account_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    #: The recovery's computation as payments stores it (its shape depends on `kind`).
    computation: Mapped[dict[str, object] | list[dict[str, object]] | None] = mapped_column(JSON)
    contract_id: Mapped[uuid.UUID | None]
    months_started: Mapped[int]
    earned: Mapped[Decimal | None]
    paid_per_post: Mapped[Decimal | None]
    created_at: Mapped[datetime]


class FinalStatement(Base):
    """A closed convention's final statement (décompte final) as payments' `final_statement.settled` states
    it, when closing left money to pay to the structure or nothing to settle: what its e-mail says (a
    statement that leaves money to recover is told by the recovery's order, never here).

    Payments computed every figure (decision 0030): they are stored as carried, never recomputed.
    """

    __tablename__ = "final_statements"
    __table_args__ = (
        UniqueConstraint("alert_id"),
        # What closing booked: a payable line, or nothing (a recovery has its order instead).
        CheckConstraint(
            "(settlement_kind IS NULL AND settlement_id IS NULL AND settlement_amount IS NULL) OR "
            "(settlement_kind = 'payment' AND settlement_id IS NOT NULL AND settlement_amount IS NOT NULL)",
            name="settlement",
        ),
    )

    convention_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id"))
    convention_reference: Mapped[str] = mapped_column(String(40))
    closed_on: Mapped[date]
    as_of: Mapped[date]
    granted: Mapped[Decimal]
    earned: Mapped[Decimal]
    paid: Mapped[Decimal]
    balance: Mapped[Decimal]
    to_pay: Mapped[Decimal]
    to_recover: Mapped[Decimal]
    in_payment: Mapped[Decimal]
    claimed: Mapped[Decimal]
    to_settle: Mapped[Decimal]
    #: `payment` (the payable line closing booked, its id in payments, its amount) or None (nothing left).
    settlement_kind: Mapped[str | None] = mapped_column(String(10))
    settlement_id: Mapped[uuid.UUID | None]
    settlement_amount: Mapped[Decimal | None]
    created_at: Mapped[datetime]
