"""The abstract unit of work of the conventions service: what a use case may reach, and nothing else.

A use case takes a `ConventionsUnitOfWork` (opened by its caller: a view, a job, a test) and a command;
it reads and writes through the repositories, emits through `outbox`, logs status changes to `history`,
calls the legal rules with `tree=uow.parameters`, and decides the commit. `adapters/unit_of_work.py`
builds the SQL one, `tests/unit/fakes.py` an in-memory one with the same names.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from conventions.adapters.orm import (
    Advisor,
    BankDetailsChange,
    Candidate,
    ClosingRun,
    ClosingRunItem,
    Contract,
    Convention,
    ConventionAmendment,
    GeneratedDocument,
    Officer,
    SalaryChange,
    Structure,
    TrancheSettlement,
)
from conventions.service_layer.documents.ports import DocumentsUnitOfWork

# The copies of payments' final statements and recovery orders (decision 0033) are part of what the
# document use cases reach: their repositories are in ports.py, `uow.final_statements` and
# `uow.recovery_orders` of every unit of work.
from conventions.service_layer.documents.ports import FinalStatementRepository as FinalStatementRepository
from conventions.service_layer.documents.ports import RecoveryOrderRepository as RecoveryOrderRepository


class Outbox(Protocol):
    """The events of the transaction (cnum_shared.framework.events.outbox.Outbox, or a list in tests)."""

    def emit(
        self, event_type: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> uuid.UUID: ...


class Files(Protocol):
    """The files the service keeps under its var directory (RIBs, documents), by relative path."""

    def media_type(self, content: bytes) -> str:
        """The type of an uploaded file, read from its content (UnacceptableUpload when refused)."""
        ...

    def write(self, relative: str, content: bytes) -> None: ...

    def delete(self, relative: str) -> bool:
        """Delete the file; False when it was not there."""
        ...


class StructureRepository(Protocol):
    def get(self, structure_id: uuid.UUID) -> Structure | None: ...

    def add(self, structure: Structure) -> None: ...

    def siret_taken(self, siret: str, *, other_than: uuid.UUID | None = None) -> bool: ...

    def employs_advisors(self, structure_id: uuid.UUID) -> bool: ...

    def page(
        self,
        *,
        department: str | None,
        kind: str | None,
        q: str | None,
        offset: int,
        limit: int,
        ids: Collection[uuid.UUID] = (),
    ) -> tuple[Sequence[Structure], int]:
        """Structures by name; `q` is found in the name (any case) or starts the SIRET."""
        ...


class ConventionRepository(Protocol):
    def get(self, convention_id: uuid.UUID, *, for_update: bool = False) -> Convention | None: ...

    def add(self, convention: Convention) -> None: ...

    def signed_before(self, structure_id: uuid.UUID, start_date: date) -> bool:
        """Whether the structure has a convention that was signed and starts before `start_date`."""
        ...

    def signed_through(self, as_of: date) -> Sequence[Convention]:
        """Every convention signed on or before `as_of` (whatever became of it since), by signing date
        and reference, with its structure and its planned tranches."""
        ...

    def page(
        self,
        *,
        structure_id: uuid.UUID | None,
        status: str | None,
        wave: str | None,
        q: str | None,
        departments: Sequence[str] | None = None,
        running: bool = False,
        active_on: date | None = None,
        ends_from: date | None = None,
        ends_to: date | None = None,
        offset: int,
        limit: int,
        reference: str | None = None,
        ids: Collection[uuid.UUID] = (),
    ) -> tuple[Sequence[Convention], int]:
        """Conventions, newest first; `q` is found in the reference or the structure's name or SIRET,
        `reference` in the reference only."""
        ...


class AmendmentRepository(Protocol):
    def get(self, amendment_id: uuid.UUID) -> ConventionAmendment | None: ...

    def add(self, amendment: ConventionAmendment) -> None: ...

    def last_number(self, convention_id: uuid.UUID) -> int: ...

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[ConventionAmendment]: ...


class SettlementRepository(Protocol):
    """What payments settled of each tranche, from its `tranche.*` events (decision 0025)."""

    def get(self, tranche_id: uuid.UUID) -> TrancheSettlement | None: ...

    def add(self, settlement: TrancheSettlement) -> None: ...

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[TrancheSettlement]: ...


class AdvisorRepository(Protocol):
    def get(self, advisor_id: uuid.UUID) -> Advisor | None: ...

    def add(self, advisor: Advisor) -> None: ...


class CandidateRepository(Protocol):
    def get(self, candidate_id: uuid.UUID) -> Candidate | None: ...

    def add(self, candidate: Candidate) -> None: ...

    def presented(self, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> bool: ...


class ContractRepository(Protocol):
    def get(self, contract_id: uuid.UUID) -> Contract | None: ...

    def add(self, contract: Contract) -> None: ...

    def add_salary_change(self, change: SalaryChange) -> None: ...

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[Contract]: ...

    def active_on(self, convention_id: uuid.UUID, on: date) -> int:
        """How many of the convention's contracts are active on `on` (cnum_shared.core.contracts)."""
        ...


class BankDetailsRepository(Protocol):
    def get(self, change_id: uuid.UUID) -> BankDetailsChange | None: ...

    def add(self, change: BankDetailsChange) -> None: ...

    def of_structure(self, structure_id: uuid.UUID) -> Sequence[BankDetailsChange]: ...


#: (advisor id, convention status, convention ended on, contract ended on or None for a presentation)
FileRow = tuple[uuid.UUID, str, date | None, date | None]


class PersonalDataRepository(Protocol):
    """The bulk reads and writes of the personal-data purge and export (DESIGN §5)."""

    def files(self, advisor_ids: Sequence[uuid.UUID] | None) -> list[FileRow]:
        """Every presentation and contract of the people not anonymised yet (or of those given)."""
        ...

    def start_purge(
        self, purge_id: uuid.UUID, *, actor: str, as_of: date, ran_at: datetime, advisors: int
    ) -> None: ...

    def anonymise(
        self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any], purge_id: uuid.UUID
    ) -> None: ...

    def anonymise_contracts(self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any]) -> None:
        """Write `values` over the contracts of the people given (the facts of their avenants)."""
        ...

    def documents_of_anonymised(self, template_name: str) -> Sequence[uuid.UUID]:
        """The documents of `template_name` about a contract of an anonymised person, not purged yet."""
        ...

    def purge_documents(
        self, document_ids: Sequence[uuid.UUID], as_of: date, purge_id: uuid.UUID
    ) -> None: ...

    def count_documents(self, purge_id: uuid.UUID, documents: int) -> None: ...

    def purged_paths(self) -> Sequence[str]:
        """The files of purged documents that no document in force shares."""
        ...

    def conventions_of(self, advisor_id: uuid.UUID) -> Mapping[uuid.UUID, Any]:
        """id → (id, reference, status, ended_on) of each convention the person is on."""
        ...

    def candidates_of(self, advisor_id: uuid.UUID) -> Sequence[Candidate]: ...

    def contracts_of(self, advisor_id: uuid.UUID) -> Sequence[Contract]: ...

    def salary_changes_of(self, contract_ids: Sequence[uuid.UUID]) -> Sequence[SalaryChange]: ...

    def documents_about(self, subject_ids: Sequence[uuid.UUID]) -> Sequence[GeneratedDocument]: ...

    def downloads_of(self, document_ids: Sequence[uuid.UUID]) -> Sequence[Any]: ...

    def log_disclosure(
        self, *, at: datetime, who: str, role: str, path: str, client_address: str | None
    ) -> None: ...


class ClosingRunRepository(Protocol):
    """Closing runs (decision 0035); the job's moves are every background run's (RunRepository)."""

    def get(self, run_id: uuid.UUID) -> ClosingRun | None: ...

    def for_period(self, funding_ends_from: date, funding_ends_to: date) -> ClosingRun | None:
        """The run of exactly this period, locked for the launch."""
        ...

    def add(self, run: ClosingRun) -> None:
        """Add the run (ConcurrentWrite when another launch of the period has just added it)."""
        ...

    def selected(self, funding_ends_from: date, funding_ends_to: date) -> list[uuid.UUID]:
        """The conventions signed, amended or closed whose end date falls in the period, in the order of
        their end dates."""
        ...

    def conventions_of(self, run_id: uuid.UUID) -> set[uuid.UUID]: ...

    def settled_conventions(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        """The conventions of the run closed or found closed, whose statements it waits for."""
        ...

    def add_items(self, run_id: uuid.UUID, convention_ids: Sequence[uuid.UUID]) -> None:
        """Pending items for these conventions, after the run's last one."""
        ...

    def reopen_items(self, run_id: uuid.UUID, ended_by: date) -> tuple[int, int]:
        """The failed items, and those not yet ended whose convention ends by `ended_by`, back to pending:
        (how many of them were done, how many failed); the statements' PDFs refused are tried again."""
        ...

    def item_counts(self, run_id: uuid.UUID) -> dict[str, int]:
        """How many items by outcome (those through) or status (pending, failed)."""
        ...

    def items_where(
        self, run_id: uuid.UUID, *, status: str | None = None, outcome: str | None = None, limit: int
    ) -> Sequence[Any]:
        """(convention_id, reference, end_date, error, document_error) of the items, in their order."""
        ...

    def page(self, *, offset: int, limit: int) -> tuple[Sequence[ClosingRun], int]: ...

    def unarchived(self) -> list[uuid.UUID]:
        """The finished runs whose archive is not written, oldest first."""
        ...

    def unrendered_items(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        """The items closed or found closed whose statement's PDF was neither rendered nor refused."""
        ...

    def archive_entries(self, run_id: uuid.UUID) -> Sequence[Any]:
        """(convention_id, reference, end_date, outcome, path of the statement's PDF or None,
        document_error) of the items closed or found closed, in their order."""
        ...

    def item(self, item_id: uuid.UUID) -> ClosingRunItem | None: ...

    def oldest_waiting(self) -> ClosingRun | None: ...

    def claim(self, run: ClosingRun, status: str, started_at: datetime) -> bool: ...

    def pending_items(self, run_id: uuid.UUID) -> list[uuid.UUID]: ...

    def count(self, run_id: uuid.UUID, *, done: int = 0, failed: int = 0) -> None: ...


class OfficerRepository(Protocol):
    """The officers' directory (decision 0042): addresses are given to it in lower case."""

    def get(self, officer_id: uuid.UUID) -> Officer | None: ...

    def add(self, officer: Officer) -> None: ...

    def email_taken(self, email: str, *, other_than: uuid.UUID | None = None) -> bool: ...

    def any(self) -> bool:
        """Whether the directory has anyone in it."""
        ...

    def page(
        self,
        *,
        email: str | None,
        role: str | None,
        active: bool | None,
        q: str | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Officer], int]: ...


class StatisticsRepository(Protocol):
    """The dashboard's counts, in the database (decision 0043)."""

    def posts(self, grouping: str | None, as_of: date) -> dict[str | None, dict[str, int]]: ...

    def endings(self, first_day: date, last_day: date) -> list[tuple[int, int, int, int]]: ...

    def ended_unclosed(self, before: date) -> tuple[int, int]: ...


class ConventionsUnitOfWork(DocumentsUnitOfWork, Protocol):
    """One business transaction of the conventions service (read-only members: the SQL one and the fakes
    give each its own class). The document repositories, `history`, `parameters` and the transaction's
    methods come from `DocumentsUnitOfWork`, the part the document use cases may reach."""

    @property
    def structures(self) -> StructureRepository: ...

    @property
    def conventions(self) -> ConventionRepository: ...

    @property
    def amendments(self) -> AmendmentRepository: ...

    @property
    def settlements(self) -> SettlementRepository: ...

    @property
    def advisors(self) -> AdvisorRepository: ...

    @property
    def candidates(self) -> CandidateRepository: ...

    @property
    def contracts(self) -> ContractRepository: ...

    @property
    def bank_details(self) -> BankDetailsRepository: ...

    @property
    def personal_data(self) -> PersonalDataRepository: ...

    @property
    def closing_runs(self) -> ClosingRunRepository: ...

    @property
    def officers(self) -> OfficerRepository: ...

    @property
    def statistics(self) -> StatisticsRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def files(self) -> Files: ...
