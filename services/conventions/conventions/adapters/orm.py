"""Tables of the conventions service (SQLAlchemy 2, typed); migrations in services/conventions/migrations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, Numeric, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cnum_shared.framework.audit_table import define_audit_table
from cnum_shared.framework.db import MONEY, UtcDateTime, enum_type, new_metadata
from cnum_shared.framework.events.tables import define_event_tables
from cnum_shared.framework.job_runs import define_job_runs_table
from cnum_shared.framework.status_history import define_status_changes_table
from conventions.domain.background_runs import RunItemStatus, RunStatus
from conventions.domain.closing_runs import ClosingOutcome
from conventions.domain.conventions import AmendmentStatus, ConventionStatus
from conventions.domain.officers import OfficerRole
from conventions.domain.structures import BankDetailsStatus


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: MONEY, datetime: UtcDateTime, uuid.UUID: Uuid}


#: Outbox (events this service emits) and inbox (events it has consumed), in this service's database.
event_tables = define_event_tables(Base.metadata)
#: Every write through the API: who, what, when, and the answer (DESIGN §4).
audit_table = define_audit_table(Base.metadata)
#: The due times the scheduler claimed and ran, once each (decision 0038).
job_runs_table = define_job_runs_table(Base.metadata)
#: The history of the statuses of conventions, avenants, bank-details changes, document batches and closing
#: runs.
status_changes = define_status_changes_table(Base.metadata)


class Structure(Base):
    """A host structure (commune, association…) that signs conventions and employs advisors."""

    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("siret"),
        CheckConstraint("kind IN ('public', 'private')", name="kind"),
        # The eligible types of shared/parameters/structure_types.yaml (migration 0009): a State
        # deconcentrated service is refused, never stored.
        CheckConstraint(
            "structure_type IN ('commune', 'epci', 'departement', 'region',"
            " 'collectivite_statut_particulier', 'groupement_collectivites', 'ccas', 'cias', 'oph',"
            " 'etablissement_public', 'gip', 'chambre_consulaire', 'epa', 'epic',"
            " 'association', 'entreprise_ess', 'esh', 'fondation', 'autre_prive')",
            name="structure_type",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16))
    structure_type: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(3), index=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(150))
    email: Mapped[str] = mapped_column(String(254))
    qpv_zrr: Mapped[bool]
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Officer(Base):
    """An officer of the agency in the directory the web front's sign-in reads (decision 0042): found by
    the e-mail address the identity provider asserts; `id` is the `sub` of their tokens."""

    __tablename__ = "officers"
    __table_args__ = (
        UniqueConstraint("email"),
        CheckConstraint("role IN ('admin', 'legal', 'finance', 'compliance', 'auditor')", name="role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: Stored in lower case (domain.officers.normalized_email): compared without regard to case.
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[OfficerRole] = mapped_column(enum_type(OfficerRole, length=16))
    #: A deactivated officer can no longer sign in; the account stays, so that their past writes keep
    #: naming them.
    active: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Convention(Base):
    """A subsidy convention between the paying agency and a structure, for a number of posts."""

    __tablename__ = "conventions"
    __table_args__ = (
        UniqueConstraint("reference"),
        CheckConstraint("wave IN ('initial', 'renewal')", name="wave"),
        CheckConstraint("status IN ('draft', 'signed', 'amended', 'closed', 'terminated')", name="status"),
        CheckConstraint("posts >= 0", name="posts"),
        CheckConstraint("duration_months BETWEEN 1 AND 36", name="duration_months"),
        CheckConstraint("total_amount >= 0 AND amount_per_post >= 0", name="amounts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(40))
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), index=True)
    wave: Mapped[str] = mapped_column(String(16))
    #: The posts in force (changed by signed avenants); `initial_posts` is what was signed.
    posts: Mapped[int]
    initial_posts: Mapped[int]
    start_date: Mapped[date]
    end_date: Mapped[date]
    duration_months: Mapped[int]
    funded_months: Mapped[int]
    amount_per_post: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    status: Mapped[ConventionStatus] = mapped_column(enum_type(ConventionStatus, length=16), index=True)
    signed_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    #: The funded periods of one post, as computed at creation: [{number, offset_months, months,
    #: amount_per_post}] (article 6's monthly rates; the clawback in payments applies them).
    funding_periods: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    structure: Mapped[Structure] = relationship(lazy="joined", innerjoin=True)
    tranches: Mapped[list[PlannedTrancheRow]] = relationship(
        order_by="PlannedTrancheRow.number", cascade="all, delete-orphan", lazy="selectin"
    )


class PlannedTrancheRow(Base):
    """The tranches as the convention (and its avenants) state them; payments owns the real ones."""

    __tablename__ = "planned_tranches"
    __table_args__ = (
        UniqueConstraint("convention_id", "number"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id", ondelete="CASCADE"))
    number: Mapped[int]
    #: None for tranche 1 until signature (it falls due on the signing date).
    due_on: Mapped[date | None]
    amount: Mapped[Decimal]


class ConventionAmendment(Base):
    """A convention avenant: the posts change from `effective_date`, in force once signed."""

    __tablename__ = "convention_amendments"
    __table_args__ = (
        UniqueConstraint("convention_id", "number"),
        CheckConstraint("status IN ('draft', 'signed')", name="status"),
        CheckConstraint("posts >= 0", name="posts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    number: Mapped[int]
    posts_before: Mapped[int]
    posts: Mapped[int]
    effective_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(1000))
    total_before: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    #: The schedule the avenant states: [{number, due_on, amount}], computed when it is drafted.
    tranches: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    status: Mapped[AmendmentStatus] = mapped_column(enum_type(AmendmentStatus, length=16))
    signed_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    #: When the structure asked for the avenant (its letter), when it says so.
    requested_on: Mapped[date | None]
    #: The end of the employment contract that causes the avenant, when one does.
    contract_ended_on: Mapped[date | None]
    #: What payments had settled when the avenant was drawn up, then signed (decision 0025); None for
    #: avenants drawn up before it was known. Each row of `tranches` adds its own regularisation.
    paid_as_of: Mapped[date | None]
    paid_to_date: Mapped[Decimal | None]
    amount_to_recover: Mapped[Decimal | None]


class TrancheSettlement(Base):
    """What payments says was settled of one of its tranches (a convention's tranche or a supplementary
    line), from its `tranche.approved`, `tranche.paid` and `tranche.returned` events (decision 0025)."""

    __tablename__ = "tranche_settlements"
    __table_args__ = (CheckConstraint("status IN ('approved', 'paid')", name="status"),)

    #: Payments' id of the tranche.
    tranche_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    number: Mapped[int]
    #: The tranche a supplementary line completes; None for one of the convention's own tranches.
    regularises: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    paid_on: Mapped[date | None]
    #: Payments' outbox sequence of the last event applied: a later one only replaces it.
    last_sequence: Mapped[int]
    updated_at: Mapped[datetime]


class FinalStatement(Base):
    """The final statement (décompte final) of a closed convention as payments settled it, copied from its
    `final_statement.settled` event as received (decision 0033): the document states these figures and
    no other. One per convention: the first received stays (a convention is settled once)."""

    __tablename__ = "final_statements"

    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), primary_key=True)
    #: The event it was copied from (payments' outbox id).
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(index=True)
    convention_reference: Mapped[str] = mapped_column(String(40))
    closed_on: Mapped[date]
    #: The day the months occupied are counted to (decision 0030).
    as_of: Mapped[date]
    granted: Mapped[Decimal]
    earned: Mapped[Decimal]
    paid: Mapped[Decimal]
    #: earned − paid: negative when the structure owes.
    balance: Mapped[Decimal]
    to_pay: Mapped[Decimal]
    to_recover: Mapped[Decimal]
    in_payment: Mapped[Decimal]
    claimed: Mapped[Decimal]
    to_settle: Mapped[Decimal]
    #: [{post, months, earned, contracts: [{contract_id, occupied_from, occupied_until, months, earned}]}],
    #: as on the wire (amounts as strings with two decimals, dates ISO).
    posts: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    #: What closing booked: {kind: payment|recovery, id, amount}, or None when nothing was left.
    settlement: Mapped[dict[str, object] | None] = mapped_column(JSON)
    #: The structure as the event carried it (name, kind, department, e-mail, IBAN, BIC).
    structure: Mapped[dict[str, object]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class RecoveryOrder(Base):
    """A recovery payments issued (`recovery.issued`), copied as received: the order (ordre de
    reversement) states its figures (decision 0033). One per recovery: the first received stays."""

    __tablename__ = "recovery_orders"
    __table_args__ = (
        CheckConstraint("kind IN ('post_ended', 'regularisation', 'final_statement')", name="kind"),
    )

    #: Payments' id of the recovery.
    recovery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(index=True)
    convention_reference: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    issued_on: Mapped[date]
    pay_by: Mapped[date]
    repayment_delay_days: Mapped[int]
    #: What the structure writes on its transfer (CNR + 32 hex digits).
    payment_reference: Mapped[str] = mapped_column(String(35))
    #: The account to pay to (the agency's).
    pay_to_name: Mapped[str] = mapped_column(String(70))
    pay_to_iban: Mapped[str] = mapped_column(String(34))
    pay_to_bic: Mapped[str | None] = mapped_column(String(11))
    #: The recovery's computation as payments stores it (its shape depends on `kind`).
    computation: Mapped[dict[str, object] | None] = mapped_column(JSON)
    #: post_ended: the contract whose post ended, the months it was occupied, earned and paid.
    contract_id: Mapped[uuid.UUID | None]
    months_started: Mapped[int]
    earned: Mapped[Decimal | None]
    paid_per_post: Mapped[Decimal | None]
    structure: Mapped[dict[str, object]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class Advisor(Base):
    """A person who may become an advisor; personal data shown to legal officers and their structure."""

    __tablename__ = "advisors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The structure that may recruit the person and see their personal data (registered by it, or named
    #: by a legal officer). None only for people registered before every advisor had one (migration 0011
    #: gave those who were presented or hired the structure of their first convention): nobody's to recruit.
    structure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("structures.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(150))
    last_name: Mapped[str] = mapped_column(String(150))
    birth_date: Mapped[date]
    email: Mapped[str] = mapped_column(String(254))
    is_retired: Mapped[bool]
    in_civic_service: Mapped[bool]
    is_france_services_agent: Mapped[bool]
    created_at: Mapped[datetime]
    #: The legal date the purge job replaced the personal data by neutral values (DESIGN §5: kept no
    #: longer than `personal_data.retention_years_after_closing`), and that run.
    anonymised_on: Mapped[date | None]
    purge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("personal_data_purges.id"), index=True)


class PersonalDataPurge(Base):
    """One run of `purge_personal_data` that anonymised people or deleted documents: who (the job), when,
    how many. What it touched points back to it (`advisors.purge_id`, `generated_documents.purge_id`);
    the personal data itself is never copied here."""

    __tablename__ = "personal_data_purges"
    __table_args__ = (CheckConstraint("advisors_anonymised >= 0 AND documents_deleted >= 0", name="counts"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    actor: Mapped[str] = mapped_column(String(200))
    #: The legal date the run purged for (`--as-of`), and when it ran.
    as_of: Mapped[date]
    ran_at: Mapped[datetime]
    advisors_anonymised: Mapped[int]
    documents_deleted: Mapped[int]


class AdvisorStructureBackfill(Base):
    """A person registered without a structure before every advisor had one, given by migration 0011 the
    structure of their first contract or presentation (for a legal officer to review; the downgrade
    gives them back their empty structure)."""

    __tablename__ = "advisor_structure_backfills"
    __table_args__ = (CheckConstraint("source IN ('contract', 'candidate')", name="source"),)

    advisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisors.id"), primary_key=True)
    structure_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(10))


class Candidate(Base):
    """A candidate presented to a structure for a convention's post, and selected or not."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("convention_id", "advisor_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), index=True)
    advisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisors.id"))
    presented_on: Mapped[date]
    selected_on: Mapped[date | None]
    created_at: Mapped[datetime]


class Contract(Base):
    """An advisor's employment contract on one of a convention's posts."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(
            "contract_type IN ('cdi', 'cdd', 'contrat_de_projet', 'titulaire', 'pec')", name="contract_type"
        ),
        CheckConstraint("gross_monthly_salary > 0", name="salary"),
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('non_renewal_cdd', 'dismissal', 'resignation',"
            " 'end_of_funding', 'mutual_agreement', 'trial_period')",
            name="end_reason",
        ),
        CheckConstraint(
            "mediator_case IS NULL"
            " OR mediator_case IN ('part_time', 'experimental_scheme', 'contract_ending')",
            name="mediator_case",
        ),
        # A mediator already in post is recorded with the case that let them take the post, and only then.
        CheckConstraint("(mediator_case IS NOT NULL) = already_digital_mediator", name="mediator_in_post"),
        CheckConstraint(
            "public_status IS NULL OR public_status IN ('contractuel', 'titulaire')", name="public_status"
        ),
        CheckConstraint(
            "original_contract_start_date IS NULL OR original_contract_start_date < start_date",
            name="original_contract_before_start",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), index=True)
    advisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisors.id"), index=True)
    contract_type: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    weekly_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    #: The salary in force now; each raise is also in salary_changes.
    gross_monthly_salary: Mapped[Decimal]
    existing_cdi_employee: Mapped[bool]
    #: The person was already in post as a digital mediator, and the case that let them take the post.
    already_digital_mediator: Mapped[bool]
    mediator_case: Mapped[str | None] = mapped_column(String(30))
    #: What the avenant of an existing employee states (decision 0026); None on other contracts, and on
    #: the moves recorded before these facts were asked for (the avenant leaves them blank to fill in).
    original_contract_start_date: Mapped[date | None]
    place_of_work: Mapped[str | None] = mapped_column(String(300))
    line_manager: Mapped[str | None] = mapped_column(String(200))
    classification: Mapped[str | None] = mapped_column(String(200))
    #: A private employer's collective agreement; a public employer has none.
    collective_agreement: Mapped[str | None] = mapped_column(String(300))
    #: A public employer's existing agent: a contractual agent on a public-law CDI or a civil servant.
    public_status: Mapped[str | None] = mapped_column(String(20))
    signed_on: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime]

    advisor: Mapped[Advisor] = relationship(lazy="joined", innerjoin=True)


class SalaryChange(Base):
    """A raise of a contract's salary from a date (the SMIC checks read the salary on each date)."""

    __tablename__ = "salary_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id"), index=True)
    gross_monthly_salary: Mapped[Decimal]
    effective_on: Mapped[date]
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class TemplateVersion(Base):
    """One uploaded version of a document template; its id is the SHA-256 of its bytes."""

    __tablename__ = "template_versions"
    __table_args__ = (
        CheckConstraint(
            "template_name IN ('convention', 'convention_avenant', 'contract_avenant', 'final_statement',"
            " 'recovery_order')",
            name="template_name",
        ),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    template_name: Mapped[str] = mapped_column(String(40), index=True)
    #: The version applies to documents whose legal date is on or after this day.
    effective_from: Mapped[date]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class GeneratedDocument(Base):
    """A document rendered once and stored: downloading it again gives the same bytes."""

    __tablename__ = "generated_documents"
    __table_args__ = (
        UniqueConstraint("subject_id", "template_name", "format", "template_sha256", "data_sha256"),
        CheckConstraint("format IN ('pdf', 'docx')", name="format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template_name: Mapped[str] = mapped_column(String(40))
    #: The convention, avenant or contract the document is about.
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    format: Mapped[str] = mapped_column(String(4))
    template_sha256: Mapped[str] = mapped_column(String(64))
    data_sha256: Mapped[str] = mapped_column(String(64))
    #: Found again by it when someone asks whether a PDF is one of ours (POST /documents/verify).
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Relative to the service's var directory.
    path: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime]
    #: Set when the purge job deleted the stored file (a contract avenant past retention): the row stays,
    #: with its SHA-256, as the record of what existed; a download answers 410.
    purged_on: Mapped[date | None]
    purge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("personal_data_purges.id"), index=True)


class DocumentDownload(Base):
    """Who downloaded which document, when, from where (DESIGN §5): a generated document, or the
    countersigned copy a structure uploaded (then `template_name` is `signed_copy`, with no template)."""

    __tablename__ = "document_downloads"
    __table_args__ = (
        CheckConstraint("(document_id IS NULL) <> (signed_copy_id IS NULL)", name="one_document"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("generated_documents.id"))
    signed_copy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signed_copies.id"))
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    template_name: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID]
    downloaded_by: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(4))
    sha256: Mapped[str] = mapped_column(String(64))
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    downloaded_at: Mapped[datetime]


class SignedCopy(Base):
    """The countersigned convention, uploaded as a PDF and checked: its signatures too (decision 0023)."""

    __tablename__ = "signed_copies"
    __table_args__ = (CheckConstraint("agency_seal IN ('intact', 'altered', 'absent')", name="agency_seal"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int]
    pages: Mapped[int]
    path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    #: Each signature of the file as checked at upload (cnum_shared.core.signatures.SignatureCheck, as JSON).
    signatures: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    #: The agency's seal in the copy: still intact, there but altered, or absent (a copy of no document of
    #: ours, or a re-printed scan).
    agency_seal: Mapped[str] = mapped_column(String(16), default="absent")


class DocumentBatch(Base):
    """Many documents rendered in the background, one message per item on the batch queue (decision 0036),
    zipped at the end."""

    __tablename__ = "document_batches"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("format IN ('pdf', 'docx')", name="format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, length=10), index=True)
    format: Mapped[str] = mapped_column(String(4))
    total: Mapped[int]
    done: Mapped[int]
    failed: Mapped[int]
    archive_path: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(String(2000))
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: The queue the pending items' messages were last published to (decision 0036): the job publishes
    #: them again only to another one (an embedded queue lost with its scheduler process).
    published_to: Mapped[str | None] = mapped_column(String(300), default=None)

    items: Mapped[list[DocumentBatchItem]] = relationship(
        order_by="DocumentBatchItem.position", cascade="all, delete-orphan", lazy="raise"
    )


class DocumentBatchItem(Base):
    __tablename__ = "document_batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "position"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document_batches.id", ondelete="CASCADE"))
    position: Mapped[int]
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"))
    status: Mapped[RunItemStatus] = mapped_column(enum_type(RunItemStatus, length=10))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("generated_documents.id"))
    error: Mapped[str | None] = mapped_column(String(1000))


class ClosingRun(Base):
    """The closing of every convention whose funding ends in a period, done in the background by the
    `run_closing_runs` job, one convention at a time (decision 0035). One run per period: launching the
    same period again relaunches it."""

    __tablename__ = "closing_runs"
    __table_args__ = (
        UniqueConstraint("funding_ends_from", "funding_ends_to"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("funding_ends_from <= funding_ends_to", name="period"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, length=10), index=True)
    funding_ends_from: Mapped[date]
    funding_ends_to: Mapped[date]
    total: Mapped[int]
    #: Items through: `done` whatever their outcome (closed, already closed, not yet ended), or `failed`.
    done: Mapped[int]
    failed: Mapped[int]
    #: The ZIP of the statements, written once every statement has arrived.
    archive_path: Mapped[str | None] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]


class ClosingRunItem(Base):
    """One convention of a closing run: what became of it."""

    __tablename__ = "closing_run_items"
    __table_args__ = (
        UniqueConstraint("run_id", "position"),
        UniqueConstraint("run_id", "convention_id"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
        CheckConstraint("outcome IN ('closed', 'already_closed', 'not_ended')", name="outcome"),
        CheckConstraint("(status = 'done') = (outcome IS NOT NULL)", name="outcome_when_done"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("closing_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    status: Mapped[RunItemStatus] = mapped_column(enum_type(RunItemStatus, length=10))
    outcome: Mapped[ClosingOutcome | None] = mapped_column(enum_type(ClosingOutcome, length=16))
    #: Why it failed, in French (the refusal's message), for the officer.
    error: Mapped[str | None] = mapped_column(String(1000))
    #: The statement's PDF put in the archive, or why it could not be rendered.
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("generated_documents.id"))
    document_error: Mapped[str | None] = mapped_column(String(1000))


class BankDetailsChange(Base):
    """A new IBAN for a structure: in force for payments only once a second officer confirmed it
    against the uploaded RIB (DESIGN §4)."""

    __tablename__ = "bank_details_changes"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed')", name="status"),
        CheckConstraint("confirmed_by IS NULL OR confirmed_by <> requested_by", name="four_eyes"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), index=True)
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    rib_sha256: Mapped[str] = mapped_column(String(64))
    rib_media_type: Mapped[str] = mapped_column(String(40))
    rib_path: Mapped[str] = mapped_column(String(300))
    status: Mapped[BankDetailsStatus] = mapped_column(enum_type(BankDetailsStatus, length=10))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None]
