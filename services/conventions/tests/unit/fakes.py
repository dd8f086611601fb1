"""An in-memory unit of work for the use cases of the conventions service (cosmicpython's FakeUnitOfWork).

Every repository of `conventions.service_layer.unit_of_work` has a fake here with the same methods over
plain lists; the outbox keeps the events, the history a `TransitionList`, the files a dict. The entities
are the service's ORM classes, built without a session. To add repositories (the documents'), give
`FakeUnitOfWork.__init__` one more line.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cnum_shared.core.contracts import is_active_on
from cnum_shared.core.parameters import ParameterNode
from cnum_shared.testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork
from conventions.adapters.orm import (
    BankDetailsChange,
    Candidate,
    Contract,
    Convention,
    ConventionAmendment,
    FinalStatement,
    GeneratedDocument,
    Officer,
    RecoveryOrder,
    SalaryChange,
    Structure,
    TrancheSettlement,
)
from conventions.domain.conventions import ConventionStatus
from conventions.domain.structures import UnacceptableUpload

_SIGNED = {
    ConventionStatus.SIGNED,
    ConventionStatus.AMENDED,
    ConventionStatus.CLOSED,
    ConventionStatus.TERMINATED,
}


class _Rows:
    """The rows of one table, by id."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Any] = {}

    def get(self, row_id: uuid.UUID, **_: Any) -> Any:
        return self.rows.get(row_id)

    def add(self, row: Any) -> None:
        if row.id is None:
            row.id = uuid.uuid4()
        self.rows[row.id] = row

    def all(self) -> list[Any]:
        return list(self.rows.values())


class FakeStructureRepository(_Rows):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__()
        self._uow = uow

    def siret_taken(self, siret: str, *, other_than: uuid.UUID | None = None) -> bool:
        return any(row.siret == siret and row.id != other_than for row in self.rows.values())

    def employs_advisors(self, structure_id: uuid.UUID) -> bool:
        return any(contract.structure_id == structure_id for contract in self._uow.contracts.all())

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
        found = [
            row
            for row in self.rows.values()
            if (not department or row.department == department.upper())
            and (not kind or row.kind == kind)
            and (not ids or row.id in ids)
            and (
                not q
                or q.lower() in row.name.lower()
                or (bool("".join(q.split())) and row.siret.startswith("".join(q.split())))
            )
        ]
        found.sort(key=lambda row: (row.name, str(row.id)))
        return found[offset : offset + limit], len(found)


class FakeOfficerRepository(_Rows):
    def email_taken(self, email: str, *, other_than: uuid.UUID | None = None) -> bool:
        return any(row.email == email and row.id != other_than for row in self.rows.values())

    def any(self) -> bool:
        return bool(self.rows)

    def page(
        self,
        *,
        email: str | None,
        role: str | None,
        active: bool | None,
        q: str | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Officer], int]:
        found = [
            row
            for row in self.rows.values()
            if (not email or row.email == email)
            and (not role or row.role == role)
            and (active is None or row.active is active)
            and (not q or q.lower() in row.name.lower() or q.lower() in row.email)
        ]
        found.sort(key=lambda row: (row.name, str(row.id)))
        return found[offset : offset + limit], len(found)


class FakeConventionRepository(_Rows):
    def signed_before(self, structure_id: uuid.UUID, start_date: date) -> bool:
        return any(
            row.structure_id == structure_id and row.status in _SIGNED and row.start_date < start_date
            for row in self.rows.values()
        )

    def signed_through(self, as_of: date) -> Sequence[Convention]:
        return sorted(
            (row for row in self.rows.values() if row.status in _SIGNED and row.signed_on <= as_of),
            key=lambda row: (row.signed_on, row.reference),
        )

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
        in_force = ("signed", "amended")
        found = [
            row
            for row in self.rows.values()
            if (not structure_id or row.structure_id == structure_id)
            and (not ids or row.id in ids)
            and (not reference or reference.lower() in row.reference.lower())
            and (departments is None or row.structure.department in departments)
            and (not (running or active_on) or row.status in in_force)
            and (not active_on or row.start_date <= active_on <= row.end_date)
            and (not ends_from or row.end_date >= ends_from)
            and (not ends_to or row.end_date <= ends_to)
            and (not status or row.status == status)
            and (not wave or row.wave == wave)
            and (not q or q.lower() in row.reference.lower() or q.lower() in row.structure.name.lower())
        ]
        found.sort(key=lambda row: row.created_at, reverse=True)
        return found[offset : offset + limit], len(found)


class FakeAmendmentRepository(_Rows):
    def last_number(self, convention_id: uuid.UUID) -> int:
        return max((row.number for row in self.of_convention(convention_id)), default=0)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[ConventionAmendment]:
        return sorted(
            (row for row in self.rows.values() if row.convention_id == convention_id),
            key=lambda row: row.number,
        )


class FakeSettlementRepository:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, TrancheSettlement] = {}

    def get(self, tranche_id: uuid.UUID) -> TrancheSettlement | None:
        return self.rows.get(tranche_id)

    def add(self, settlement: TrancheSettlement) -> None:
        self.rows[settlement.tranche_id] = settlement

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[TrancheSettlement]:
        return sorted(
            (row for row in self.rows.values() if row.convention_id == convention_id),
            key=lambda row: row.number,
        )


class FakeFinalStatementRepository:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, FinalStatement] = {}

    def get(self, convention_id: uuid.UUID) -> FinalStatement | None:
        return self.rows.get(convention_id)

    def add(self, statement: FinalStatement) -> None:
        self.rows[statement.convention_id] = statement

    def of_conventions(self, convention_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, FinalStatement]:
        return {key: self.rows[key] for key in convention_ids if key in self.rows}


class FakeRecoveryOrderRepository:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, RecoveryOrder] = {}

    def get(self, recovery_id: uuid.UUID) -> RecoveryOrder | None:
        return self.rows.get(recovery_id)

    def add(self, order: RecoveryOrder) -> None:
        self.rows[order.recovery_id] = order

    def page(
        self,
        *,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[RecoveryOrder], int]:
        rows = [
            row
            for row in self.rows.values()
            if structure_id in (None, row.structure_id) and convention_id in (None, row.convention_id)
        ]
        rows.sort(key=lambda row: (-row.issued_on.toordinal(), str(row.recovery_id)))
        return rows[offset : offset + limit], len(rows)


class FakeAdvisorRepository(_Rows):
    pass


class FakeCandidateRepository(_Rows):
    def presented(self, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> bool:
        return any(
            row.convention_id == convention_id and row.advisor_id == advisor_id for row in self.rows.values()
        )


class FakeContractRepository(_Rows):
    def __init__(self) -> None:
        super().__init__()
        self.salary_changes: list[SalaryChange] = []

    def add_salary_change(self, change: SalaryChange) -> None:
        self.salary_changes.append(change)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[Contract]:
        return sorted(
            (row for row in self.rows.values() if row.convention_id == convention_id),
            key=lambda row: (row.start_date, str(row.id)),
        )

    def active_on(self, convention_id: uuid.UUID, on: date) -> int:
        return sum(
            1
            for row in self.of_convention(convention_id)
            if is_active_on(row.start_date, row.end_date, row.ended_on, on)
        )


class FakeBankDetailsRepository(_Rows):
    def of_structure(self, structure_id: uuid.UUID) -> Sequence[BankDetailsChange]:
        return sorted(
            (row for row in self.rows.values() if row.structure_id == structure_id),
            key=lambda row: row.requested_at,
            reverse=True,
        )


@dataclass
class FakePurge:
    id: uuid.UUID
    actor: str
    as_of: date
    ran_at: datetime
    advisors_anonymised: int
    documents_deleted: int = 0


class FakePersonalDataRepository:
    """The purge and the export over the other fakes; `documents` are the stored documents (the
    documents' fake repository can take its place once it exists)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.documents: list[GeneratedDocument] = []
        self.downloads: list[Any] = []
        #: The runs committed, and the one of the transaction in progress.
        self.purges: list[FakePurge] = []
        self.pending: list[FakePurge] = []
        self.disclosures: list[dict[str, Any]] = []

    def files(
        self, advisor_ids: Sequence[uuid.UUID] | None
    ) -> list[tuple[uuid.UUID, str, date | None, date | None]]:
        uow = self._uow

        def wanted(advisor_id: uuid.UUID) -> bool:
            if advisor_ids is None:
                return uow.advisors.rows[advisor_id].anonymised_on is None
            return advisor_id in advisor_ids

        rows: set[tuple[uuid.UUID, str, date | None, date | None]] = set()
        for candidate in uow.candidates.all():
            convention = uow.conventions.rows[candidate.convention_id]
            if wanted(candidate.advisor_id):
                rows.add((candidate.advisor_id, str(convention.status), convention.ended_on, None))
        for contract in uow.contracts.all():
            convention = uow.conventions.rows[contract.convention_id]
            if wanted(contract.advisor_id):
                rows.add(
                    (contract.advisor_id, str(convention.status), convention.ended_on, contract.ended_on)
                )
        return sorted(rows, key=str)

    def start_purge(
        self, purge_id: uuid.UUID, *, actor: str, as_of: date, ran_at: datetime, advisors: int
    ) -> None:
        self.pending.append(FakePurge(purge_id, actor, as_of, ran_at, advisors))

    def anonymise(
        self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any], purge_id: uuid.UUID
    ) -> None:
        for advisor_id in advisor_ids:
            advisor = self._uow.advisors.rows[advisor_id]
            if advisor.anonymised_on is None:
                for name, value in values.items():
                    setattr(advisor, name, value)
                advisor.purge_id = purge_id

    def anonymise_contracts(self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any]) -> None:
        for contract in self._uow.contracts.all():
            if contract.advisor_id in advisor_ids:
                for name, value in values.items():
                    setattr(contract, name, value)

    def documents_of_anonymised(self, template_name: str) -> Sequence[uuid.UUID]:
        anonymised = {
            contract.id
            for contract in self._uow.contracts.all()
            if self._uow.advisors.rows[contract.advisor_id].anonymised_on is not None
        }
        return [
            document.id
            for document in self.documents
            if document.template_name == template_name
            and document.purged_on is None
            and document.subject_id in anonymised
        ]

    def purge_documents(self, document_ids: Sequence[uuid.UUID], as_of: date, purge_id: uuid.UUID) -> None:
        for document in self.documents:
            if document.id in document_ids and document.purged_on is None:
                document.purged_on, document.purge_id = as_of, purge_id

    def count_documents(self, purge_id: uuid.UUID, documents: int) -> None:
        for purge in self.pending:
            if purge.id == purge_id:
                purge.documents_deleted = documents

    def purged_paths(self) -> Sequence[str]:
        in_force = {document.path for document in self.documents if document.purged_on is None}
        return sorted(
            {document.path for document in self.documents if document.purged_on is not None} - in_force
        )

    def conventions_of(self, advisor_id: uuid.UUID) -> Mapping[uuid.UUID, Any]:
        ids = {row.convention_id for row in self.candidates_of(advisor_id)}
        ids |= {row.convention_id for row in self.contracts_of(advisor_id)}
        return {convention_id: self._uow.conventions.rows[convention_id] for convention_id in ids}

    def candidates_of(self, advisor_id: uuid.UUID) -> Sequence[Candidate]:
        return sorted(
            (row for row in self._uow.candidates.all() if row.advisor_id == advisor_id),
            key=lambda row: (row.presented_on, str(row.id)),
        )

    def contracts_of(self, advisor_id: uuid.UUID) -> Sequence[Contract]:
        return sorted(
            (row for row in self._uow.contracts.all() if row.advisor_id == advisor_id),
            key=lambda row: (row.start_date, str(row.id)),
        )

    def salary_changes_of(self, contract_ids: Sequence[uuid.UUID]) -> Sequence[SalaryChange]:
        return [change for change in self._uow.contracts.salary_changes if change.contract_id in contract_ids]

    def documents_about(self, subject_ids: Sequence[uuid.UUID]) -> Sequence[GeneratedDocument]:
        return [document for document in self.documents if document.subject_id in subject_ids]

    def downloads_of(self, document_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        return [download for download in self.downloads if download.document_id in document_ids]

    def log_disclosure(
        self, *, at: datetime, who: str, role: str, path: str, client_address: str | None
    ) -> None:
        self.disclosures.append(
            {"at": at, "who": who, "role": role, "path": path, "client_address": client_address}
        )


#: The first bytes of the types the fake accepts.
_SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png"}


class FakeFiles:
    """Files by relative path; accepts a PDF or a PNG by their first bytes (the real check parses them)."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def media_type(self, content: bytes) -> str:
        for signature, media_type in _SIGNATURES.items():
            if content.startswith(signature):
                return media_type
        raise UnacceptableUpload("format non reconnu")

    def write(self, relative: str, content: bytes) -> None:
        self.stored[relative] = content

    def delete(self, relative: str) -> bool:
        return self.stored.pop(relative, None) is not None


class FakeUnitOfWork(BaseFakeUnitOfWork):
    """`ConventionsUnitOfWork` in memory: `commits` counts the commits a use case made."""

    def __init__(self, tree: ParameterNode | None = None) -> None:
        super().__init__(tree)
        # The repositories, one line each.
        self.structures = FakeStructureRepository(self)
        self.conventions = FakeConventionRepository()
        self.amendments = FakeAmendmentRepository()
        self.settlements = FakeSettlementRepository()
        self.final_statements = FakeFinalStatementRepository()
        self.recovery_orders = FakeRecoveryOrderRepository()
        self.advisors = FakeAdvisorRepository()
        self.candidates = FakeCandidateRepository()
        self.contracts = FakeContractRepository()
        self.bank_details = FakeBankDetailsRepository()
        self.personal_data = FakePersonalDataRepository(self)
        self.officers = FakeOfficerRepository()
        self.files = FakeFiles()

    def commit(self) -> None:
        super().commit()
        self.personal_data.purges.extend(self.personal_data.pending)
        self.personal_data.pending.clear()
        self.personal_data.pending.clear()
