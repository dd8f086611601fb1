"""The SQL of the conventions service: one repository per aggregate, in the unit of work's session.

The use cases reach the database only through these (service_layer/unit_of_work.py lists what each
offers); the fakes of tests/unit keep the same methods in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, extract, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cnum_shared.core.errors import ConcurrentWrite
from cnum_shared.framework.db import contract_active_on, region_code
from conventions.adapters.background_runs import SqlRunRepository
from conventions.adapters.orm import (
    Advisor,
    BankDetailsChange,
    Candidate,
    ClosingRun,
    ClosingRunItem,
    Contract,
    Convention,
    ConventionAmendment,
    DocumentDownload,
    FinalStatement,
    GeneratedDocument,
    Officer,
    PersonalDataPurge,
    RecoveryOrder,
    SalaryChange,
    Structure,
    TrancheSettlement,
    audit_table,
)
from conventions.domain.background_runs import RunItemStatus, RunStatus
from conventions.domain.closing_runs import SELECTED_STATUSES, ClosingOutcome
from conventions.domain.conventions import ConventionStatus

#: A convention that was signed (whatever became of it since).
_SIGNED = (
    ConventionStatus.SIGNED,
    ConventionStatus.AMENDED,
    ConventionStatus.CLOSED,
    ConventionStatus.TERMINATED,
)
#: A convention in force: signed, perhaps amended, neither closed nor terminated.
RUNNING = (ConventionStatus.SIGNED, ConventionStatus.AMENDED)
#: Ids per UPDATE statement: well under the bound parameters SQLite and PostgreSQL accept.
_CHUNK = 500


def _like(text: str) -> str:
    """A LIKE pattern that looks for `text` itself: "50%" finds those characters, not "50" and anything."""
    return f"%{_escaped(text.lower())}%"


def _starting(text: str) -> str:
    """A LIKE pattern for what starts with `text` itself (wildcards in it are characters)."""
    return f"{_escaped(text)}%"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _page(
    session: Session, statement: Select[Any], order: Sequence[Any], offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = session.scalars(statement.order_by(*order).offset(offset).limit(limit)).unique().all()
    return page, total


def _chunks(ids: Sequence[uuid.UUID]) -> list[Sequence[uuid.UUID]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


class SqlStructureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, structure_id: uuid.UUID) -> Structure | None:
        return self.session.get(Structure, structure_id)

    def add(self, structure: Structure) -> None:
        self.session.add(structure)

    def siret_taken(self, siret: str, *, other_than: uuid.UUID | None = None) -> bool:
        statement = select(Structure.id).where(Structure.siret == siret)
        if other_than is not None:
            statement = statement.where(Structure.id != other_than)
        return self.session.scalar(statement.limit(1)) is not None

    def employs_advisors(self, structure_id: uuid.UUID) -> bool:
        return (
            self.session.scalar(select(Contract.id).where(Contract.structure_id == structure_id).limit(1))
            is not None
        )

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
        statement = select(Structure)
        if department:
            statement = statement.where(Structure.department == department.upper())
        if kind:
            statement = statement.where(Structure.kind == kind)
        if ids:
            statement = statement.where(Structure.id.in_(list(ids)))
        if q:
            matches = [func.lower(Structure.name).like(_like(q), escape="\\")]
            # A SIRET as people write it (« 211 501 879 00012 ») or its first digits (the SIREN).
            digits = "".join(q.split())
            if digits:
                matches.append(Structure.siret.like(_starting(digits), escape="\\"))
            statement = statement.where(or_(*matches))
        return _page(self.session, statement, (Structure.name, Structure.id), offset, limit)


class SqlOfficerRepository:
    """The officers' directory (decision 0042); e-mail addresses are stored and looked up in lower case."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, officer_id: uuid.UUID) -> Officer | None:
        return self.session.get(Officer, officer_id)

    def add(self, officer: Officer) -> None:
        self.session.add(officer)

    def email_taken(self, email: str, *, other_than: uuid.UUID | None = None) -> bool:
        statement = select(Officer.id).where(Officer.email == email)
        if other_than is not None:
            statement = statement.where(Officer.id != other_than)
        return self.session.scalar(statement.limit(1)) is not None

    def any(self) -> bool:
        return self.session.scalar(select(Officer.id).limit(1)) is not None

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
        statement = select(Officer)
        if email:
            statement = statement.where(Officer.email == email)
        if role:
            statement = statement.where(Officer.role == role)
        if active is not None:
            statement = statement.where(Officer.active.is_(active))
        if q:
            pattern = f"%{q.lower()}%"
            statement = statement.where(
                or_(func.lower(Officer.name).like(pattern), Officer.email.like(pattern))
            )
        return _page(self.session, statement, (Officer.name, Officer.id), offset, limit)


class SqlConventionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, convention_id: uuid.UUID, *, for_update: bool = False) -> Convention | None:
        statement = select(Convention).where(Convention.id == convention_id)
        if for_update:
            # Serializes the writes on one convention (signature, avenants, contracts against its posts).
            statement = statement.with_for_update()
        return self.session.scalars(statement).unique().one_or_none()

    def add(self, convention: Convention) -> None:
        self.session.add(convention)

    def signed_before(self, structure_id: uuid.UUID, start_date: date) -> bool:
        return bool(
            self.session.scalar(
                select(func.count())
                .select_from(Convention)
                .where(
                    Convention.structure_id == structure_id,
                    Convention.status.in_(_SIGNED),
                    Convention.start_date < start_date,
                )
            )
        )

    def signed_through(self, as_of: date) -> Sequence[Convention]:
        # The structure comes joined and the tranches in one more SELECT (the relationships' loading):
        # two queries for the whole programme's 4,000 conventions.
        statement = (
            select(Convention)
            .where(Convention.status.in_(_SIGNED), Convention.signed_on <= as_of)
            .order_by(Convention.signed_on, Convention.reference)
        )
        return self.session.scalars(statement).unique().all()

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
        statement = select(Convention)
        if structure_id:
            statement = statement.where(Convention.structure_id == structure_id)
        if ids:
            statement = statement.where(Convention.id.in_(list(ids)))
        if reference:
            statement = statement.where(func.lower(Convention.reference).like(_like(reference), escape="\\"))
        if status:
            statement = statement.where(Convention.status == ConventionStatus(status))
        if wave:
            statement = statement.where(Convention.wave == wave)
        if running or active_on:
            statement = statement.where(Convention.status.in_(RUNNING))
        if active_on:
            statement = statement.where(Convention.start_date <= active_on, Convention.end_date >= active_on)
        if ends_from:
            statement = statement.where(Convention.end_date >= ends_from)
        if ends_to:
            statement = statement.where(Convention.end_date <= ends_to)
        if departments is not None:
            statement = statement.where(
                Convention.structure_id.in_(
                    select(Structure.id).where(Structure.department.in_(list(departments)))
                )
            )
        if q:
            pattern = _like(q)
            statement = statement.join(Structure, Structure.id == Convention.structure_id).where(
                or_(
                    func.lower(Convention.reference).like(pattern, escape="\\"),
                    func.lower(Structure.name).like(pattern, escape="\\"),
                    Structure.siret.like(pattern, escape="\\"),
                )
            )
        return _page(self.session, statement, (Convention.created_at.desc(), Convention.id), offset, limit)


class SqlAmendmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, amendment_id: uuid.UUID) -> ConventionAmendment | None:
        return self.session.get(ConventionAmendment, amendment_id)

    def add(self, amendment: ConventionAmendment) -> None:
        self.session.add(amendment)

    def last_number(self, convention_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.coalesce(func.max(ConventionAmendment.number), 0)).where(
                    ConventionAmendment.convention_id == convention_id
                )
            )
            or 0
        )

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[ConventionAmendment]:
        return self.session.scalars(
            select(ConventionAmendment)
            .where(ConventionAmendment.convention_id == convention_id)
            .order_by(ConventionAmendment.number)
        ).all()


class SqlSettlementRepository:
    """What payments settled of each tranche (the read model of its `tranche.*` events)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tranche_id: uuid.UUID) -> TrancheSettlement | None:
        return self.session.get(TrancheSettlement, tranche_id)

    def add(self, settlement: TrancheSettlement) -> None:
        self.session.add(settlement)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[TrancheSettlement]:
        return self.session.scalars(
            select(TrancheSettlement)
            .where(TrancheSettlement.convention_id == convention_id)
            .order_by(TrancheSettlement.number)
        ).all()


class SqlFinalStatementRepository:
    """The final statements payments settled (copies of its `final_statement.settled`), by convention."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, convention_id: uuid.UUID) -> FinalStatement | None:
        return self.session.get(FinalStatement, convention_id)

    def add(self, statement: FinalStatement) -> None:
        self.session.add(statement)

    def of_conventions(self, convention_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, FinalStatement]:
        """convention id → its statement, for those of `convention_ids` that have one."""
        found: dict[uuid.UUID, FinalStatement] = {}
        for chunk in _chunks(list(dict.fromkeys(convention_ids))):
            for statement in self.session.scalars(
                select(FinalStatement).where(FinalStatement.convention_id.in_(chunk))
            ):
                found[statement.convention_id] = statement
        return found


class SqlRecoveryOrderRepository:
    """The recoveries payments issued (copies of its `recovery.issued`): each one's order."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, recovery_id: uuid.UUID) -> RecoveryOrder | None:
        return self.session.get(RecoveryOrder, recovery_id)

    def add(self, order: RecoveryOrder) -> None:
        self.session.add(order)

    def page(
        self,
        *,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[RecoveryOrder], int]:
        """The orders, latest issued first, of one structure and/or one convention when given."""
        statement = select(RecoveryOrder)
        if structure_id is not None:
            statement = statement.where(RecoveryOrder.structure_id == structure_id)
        if convention_id is not None:
            statement = statement.where(RecoveryOrder.convention_id == convention_id)
        order = (RecoveryOrder.issued_on.desc(), RecoveryOrder.recovery_id)
        return _page(self.session, statement, order, offset, limit)


class SqlAdvisorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, advisor_id: uuid.UUID) -> Advisor | None:
        return self.session.get(Advisor, advisor_id)

    def add(self, advisor: Advisor) -> None:
        self.session.add(advisor)


class SqlCandidateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, candidate_id: uuid.UUID) -> Candidate | None:
        return self.session.get(Candidate, candidate_id)

    def add(self, candidate: Candidate) -> None:
        self.session.add(candidate)

    def presented(self, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> bool:
        return (
            self.session.scalar(
                select(Candidate.id)
                .where(Candidate.convention_id == convention_id, Candidate.advisor_id == advisor_id)
                .limit(1)
            )
            is not None
        )


class SqlContractRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, contract_id: uuid.UUID) -> Contract | None:
        return self.session.get(Contract, contract_id)

    def add(self, contract: Contract) -> None:
        self.session.add(contract)

    def add_salary_change(self, change: SalaryChange) -> None:
        self.session.add(change)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[Contract]:
        return self.session.scalars(
            select(Contract)
            .where(Contract.convention_id == convention_id)
            .order_by(Contract.start_date, Contract.id)
        ).all()

    def active_on(self, convention_id: uuid.UUID, on: date) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(Contract)
                .where(
                    Contract.convention_id == convention_id,
                    contract_active_on(Contract.start_date, Contract.end_date, Contract.ended_on, on),
                )
            )
            or 0
        )


class SqlBankDetailsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, change_id: uuid.UUID) -> BankDetailsChange | None:
        return self.session.get(BankDetailsChange, change_id)

    def add(self, change: BankDetailsChange) -> None:
        self.session.add(change)

    def of_structure(self, structure_id: uuid.UUID) -> Sequence[BankDetailsChange]:
        return self.session.scalars(
            select(BankDetailsChange)
            .where(BankDetailsChange.structure_id == structure_id)
            .order_by(BankDetailsChange.requested_at.desc())
        ).all()


class SqlPersonalDataRepository:
    """The purge works in bulk (Core statements over id lists) and touches only what is not purged yet."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def files(
        self, advisor_ids: Sequence[uuid.UUID] | None
    ) -> list[tuple[uuid.UUID, str, date | None, date | None]]:
        presented = select(Candidate.advisor_id, Convention.status, Convention.ended_on).join(
            Convention, Convention.id == Candidate.convention_id
        )
        hired = select(Contract.advisor_id, Convention.status, Convention.ended_on, Contract.ended_on).join(
            Convention, Convention.id == Contract.convention_id
        )
        if advisor_ids is None:
            presented = presented.join(Advisor, Advisor.id == Candidate.advisor_id).where(
                Advisor.anonymised_on.is_(None)
            )
            hired = hired.join(Advisor, Advisor.id == Contract.advisor_id).where(
                Advisor.anonymised_on.is_(None)
            )
        else:
            presented = presented.where(Candidate.advisor_id.in_(advisor_ids))
            hired = hired.where(Contract.advisor_id.in_(advisor_ids))
        rows: list[tuple[uuid.UUID, str, date | None, date | None]] = [
            (advisor_id, str(status), ended_on, None)
            for advisor_id, status, ended_on in self.session.execute(presented.distinct())
        ]
        rows += [
            (advisor_id, str(status), ended_on, contract_ended_on)
            for advisor_id, status, ended_on, contract_ended_on in self.session.execute(hired.distinct())
        ]
        return rows

    def start_purge(
        self, purge_id: uuid.UUID, *, actor: str, as_of: date, ran_at: datetime, advisors: int
    ) -> None:
        # The run's row first: what it touches points to it (checked at once on PostgreSQL).
        self.session.execute(
            insert(PersonalDataPurge).values(
                id=purge_id,
                actor=actor,
                as_of=as_of,
                ran_at=ran_at,
                advisors_anonymised=advisors,
                documents_deleted=0,
            )
        )

    def anonymise(
        self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any], purge_id: uuid.UUID
    ) -> None:
        for chunk in _chunks(advisor_ids):
            self.session.execute(
                update(Advisor)
                .where(Advisor.id.in_(chunk), Advisor.anonymised_on.is_(None))
                .values(**values, purge_id=purge_id),
                execution_options={"synchronize_session": False},
            )

    def anonymise_contracts(self, advisor_ids: Sequence[uuid.UUID], values: Mapping[str, Any]) -> None:
        for chunk in _chunks(advisor_ids):
            self.session.execute(
                update(Contract).where(Contract.advisor_id.in_(chunk)).values(**values),
                execution_options={"synchronize_session": False},
            )

    def documents_of_anonymised(self, template_name: str) -> Sequence[uuid.UUID]:
        return self.session.scalars(
            select(GeneratedDocument.id).where(
                GeneratedDocument.template_name == template_name,
                GeneratedDocument.purged_on.is_(None),
                GeneratedDocument.subject_id.in_(
                    select(Contract.id)
                    .join(Advisor, Advisor.id == Contract.advisor_id)
                    .where(Advisor.anonymised_on.is_not(None))
                ),
            )
        ).all()

    def purge_documents(self, document_ids: Sequence[uuid.UUID], as_of: date, purge_id: uuid.UUID) -> None:
        for chunk in _chunks(document_ids):
            self.session.execute(
                update(GeneratedDocument)
                .where(GeneratedDocument.id.in_(chunk), GeneratedDocument.purged_on.is_(None))
                .values(purged_on=as_of, purge_id=purge_id),
                execution_options={"synchronize_session": False},
            )

    def count_documents(self, purge_id: uuid.UUID, documents: int) -> None:
        self.session.execute(
            update(PersonalDataPurge)
            .where(PersonalDataPurge.id == purge_id)
            .values(documents_deleted=documents),
            execution_options={"synchronize_session": False},
        )

    def purged_paths(self) -> Sequence[str]:
        in_force = select(GeneratedDocument.path).where(GeneratedDocument.purged_on.is_(None))
        return self.session.scalars(
            select(GeneratedDocument.path)
            .where(GeneratedDocument.purged_on.is_not(None), GeneratedDocument.path.not_in(in_force))
            .distinct()
        ).all()

    def conventions_of(self, advisor_id: uuid.UUID) -> Mapping[uuid.UUID, Any]:
        return {
            row.id: row
            for row in self.session.execute(
                select(Convention.id, Convention.reference, Convention.status, Convention.ended_on).where(
                    Convention.id.in_(
                        select(Candidate.convention_id)
                        .where(Candidate.advisor_id == advisor_id)
                        .union(select(Contract.convention_id).where(Contract.advisor_id == advisor_id))
                    )
                )
            )
        }

    def candidates_of(self, advisor_id: uuid.UUID) -> Sequence[Candidate]:
        return self.session.scalars(
            select(Candidate)
            .where(Candidate.advisor_id == advisor_id)
            .order_by(Candidate.presented_on, Candidate.id)
        ).all()

    def contracts_of(self, advisor_id: uuid.UUID) -> Sequence[Contract]:
        return self.session.scalars(
            select(Contract)
            .where(Contract.advisor_id == advisor_id)
            .order_by(Contract.start_date, Contract.id)
        ).all()

    def salary_changes_of(self, contract_ids: Sequence[uuid.UUID]) -> Sequence[SalaryChange]:
        return self.session.scalars(
            select(SalaryChange)
            .where(SalaryChange.contract_id.in_(contract_ids))
            .order_by(SalaryChange.effective_on, SalaryChange.id)
        ).all()

    def documents_about(self, subject_ids: Sequence[uuid.UUID]) -> Sequence[GeneratedDocument]:
        return self.session.scalars(
            select(GeneratedDocument)
            .where(GeneratedDocument.subject_id.in_(subject_ids))
            .order_by(GeneratedDocument.created_at, GeneratedDocument.id)
        ).all()

    def downloads_of(self, document_ids: Sequence[uuid.UUID]) -> Sequence[DocumentDownload]:
        return self.session.scalars(
            select(DocumentDownload)
            .where(DocumentDownload.document_id.in_(document_ids))
            .order_by(DocumentDownload.downloaded_at, DocumentDownload.id)
        ).all()

    def log_disclosure(
        self, *, at: datetime, who: str, role: str, path: str, client_address: str | None
    ) -> None:
        self.session.execute(
            insert(audit_table).values(
                at=at,
                actor=who[:200],
                role=role,
                method="GET",
                path=path[:500],
                status=200,
                client_address=(client_address or "")[:64] or None,
            )
        )


#: The items whose statement a run waits for: the conventions it closed or found closed.
_SETTLED = (ClosingOutcome.CLOSED, ClosingOutcome.ALREADY_CLOSED)


class SqlClosingRunRepository(SqlRunRepository[ClosingRun, ClosingRunItem]):
    """Closing runs and their items (service_layer/unit_of_work.py's ClosingRunRepository)."""

    run_model = ClosingRun
    item_model = ClosingRunItem
    parent = "run_id"

    def for_period(self, funding_ends_from: date, funding_ends_to: date) -> ClosingRun | None:
        return self.session.scalars(
            select(ClosingRun)
            .where(
                ClosingRun.funding_ends_from == funding_ends_from,
                ClosingRun.funding_ends_to == funding_ends_to,
            )
            .with_for_update()
        ).one_or_none()

    def add(self, run: ClosingRun) -> None:
        """Add the run; ConcurrentWrite when another request has just launched the same period."""
        self.session.add(run)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise ConcurrentWrite() from None

    def selected(self, funding_ends_from: date, funding_ends_to: date) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(Convention.id)
                .where(
                    Convention.status.in_(SELECTED_STATUSES),
                    Convention.end_date >= funding_ends_from,
                    Convention.end_date <= funding_ends_to,
                )
                .order_by(Convention.end_date, Convention.reference)
            )
        )

    def conventions_of(self, run_id: uuid.UUID) -> set[uuid.UUID]:
        return set(
            self.session.scalars(select(ClosingRunItem.convention_id).where(ClosingRunItem.run_id == run_id))
        )

    def settled_conventions(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(ClosingRunItem.convention_id)
                .where(
                    ClosingRunItem.run_id == run_id,
                    ClosingRunItem.outcome.in_(_SETTLED),
                )
                .order_by(ClosingRunItem.position)
            )
        )

    def add_items(self, run_id: uuid.UUID, convention_ids: Sequence[uuid.UUID]) -> None:
        last = (
            self.session.scalar(
                select(func.max(ClosingRunItem.position)).where(ClosingRunItem.run_id == run_id)
            )
            or 0
        )
        if convention_ids:
            self.session.execute(
                insert(ClosingRunItem),
                [
                    {
                        "id": uuid.uuid4(),
                        "run_id": run_id,
                        "position": position,
                        "convention_id": convention_id,
                        "status": RunItemStatus.PENDING,
                    }
                    for position, convention_id in enumerate(convention_ids, start=last + 1)
                ],
            )

    def reopen_items(self, run_id: uuid.UUID, ended_by: date) -> tuple[int, int]:
        """The failed items, and those not yet ended whose convention ends by `ended_by`, back to pending:
        (how many of them were done, how many failed)."""
        ended = select(Convention.id).where(Convention.end_date <= ended_by)
        now_ended = (ClosingRunItem.outcome == ClosingOutcome.NOT_ENDED) & ClosingRunItem.convention_id.in_(
            ended
        )
        failed = ClosingRunItem.status == RunItemStatus.FAILED
        reopened = [0, 0]
        for position, which in enumerate((now_ended, failed)):
            result = self.session.execute(
                update(ClosingRunItem)
                .where(ClosingRunItem.run_id == run_id, which)
                .values(status=RunItemStatus.PENDING, outcome=None, error=None)
                .execution_options(synchronize_session=False)
            )
            reopened[position] = int(getattr(result, "rowcount", 0))
        # The archive is written again: a statement that could not be rendered is tried again.
        self.session.execute(
            update(ClosingRunItem)
            .where(ClosingRunItem.run_id == run_id, ClosingRunItem.document_error.is_not(None))
            .values(document_error=None)
            .execution_options(synchronize_session=False)
        )
        return reopened[0], reopened[1]

    def item_counts(self, run_id: uuid.UUID) -> dict[str, int]:
        rows = self.session.execute(
            select(ClosingRunItem.status, ClosingRunItem.outcome, func.count())
            .where(ClosingRunItem.run_id == run_id)
            .group_by(ClosingRunItem.status, ClosingRunItem.outcome)
        ).all()
        counts: dict[str, int] = {}
        for status, outcome, count in rows:
            key = str(outcome.value if outcome is not None else status.value)
            counts[key] = counts.get(key, 0) + count
        return counts

    def items_where(
        self, run_id: uuid.UUID, *, status: str | None = None, outcome: str | None = None, limit: int
    ) -> Sequence[Any]:
        statement = (
            select(
                ClosingRunItem.convention_id,
                Convention.reference,
                Convention.end_date,
                ClosingRunItem.error,
                ClosingRunItem.document_error,
            )
            .join(Convention, Convention.id == ClosingRunItem.convention_id)
            .where(ClosingRunItem.run_id == run_id)
            .order_by(ClosingRunItem.position)
            .limit(limit)
        )
        if status is not None:
            statement = statement.where(ClosingRunItem.status == status)
        if outcome is not None:
            statement = statement.where(ClosingRunItem.outcome == outcome)
        return self.session.execute(statement).all()

    def unarchived(self) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(ClosingRun.id)
                .where(ClosingRun.status == RunStatus.DONE, ClosingRun.archive_path.is_(None))
                .order_by(ClosingRun.created_at)
            )
        )

    def unrendered_items(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(ClosingRunItem.id)
                .where(
                    ClosingRunItem.run_id == run_id,
                    ClosingRunItem.outcome.in_(_SETTLED),
                    ClosingRunItem.document_id.is_(None),
                    ClosingRunItem.document_error.is_(None),
                )
                .order_by(ClosingRunItem.position)
            )
        )

    def archive_entries(self, run_id: uuid.UUID) -> Sequence[Any]:
        return self.session.execute(
            select(
                ClosingRunItem.convention_id,
                Convention.reference,
                Convention.end_date,
                ClosingRunItem.outcome,
                GeneratedDocument.path,
                ClosingRunItem.document_error,
            )
            .join(Convention, Convention.id == ClosingRunItem.convention_id)
            .outerjoin(GeneratedDocument, GeneratedDocument.id == ClosingRunItem.document_id)
            .where(ClosingRunItem.run_id == run_id, ClosingRunItem.outcome.in_(_SETTLED))
            .order_by(ClosingRunItem.position)
        ).all()

    def page(self, *, offset: int, limit: int) -> tuple[Sequence[ClosingRun], int]:
        return _page(
            self.session,
            select(ClosingRun),
            (ClosingRun.created_at.desc(), ClosingRun.id),
            offset,
            limit,
        )


class SqlStatisticsRepository:
    """The programme's posts and end dates counted in the database, by department, by region or in all:
    the dashboard's read model (decision 0043). One statement per figure and grouping."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def posts(self, grouping: str | None, as_of: date) -> dict[str | None, dict[str, int]]:
        """{group: {conventions, posts, filled}} for `grouping` "department", "region" or None (one group,
        None): the conventions in force on `as_of` (signed or amended, started and not ended), the posts
        they grant, and the contracts active that day on them (DESIGN §3's rule)."""
        in_force = and_(
            Convention.status.in_(RUNNING), Convention.start_date <= as_of, Convention.end_date >= as_of
        )
        conventions = (
            select(*_territory(), Convention.posts.label("posts"))
            .select_from(Convention)
            .join(Structure, Structure.id == Convention.structure_id)
            .where(in_force)
            .subquery()
        )
        contracts = (
            select(*_territory(), Contract.id.label("contract_id"))
            .select_from(Contract)
            .join(Convention, Convention.id == Contract.convention_id)
            .join(Structure, Structure.id == Convention.structure_id)
            .where(
                in_force,
                contract_active_on(Contract.start_date, Contract.end_date, Contract.ended_on, as_of),
            )
            .subquery()
        )
        figures: dict[str | None, dict[str, int]] = {}
        granted = self._grouped(
            conventions, grouping, func.count().label("conventions"), func.sum(conventions.c.posts)
        )
        for group, count, posts in granted:
            figures.setdefault(group, {}).update(conventions=int(count), posts=int(posts or 0))
        for group, filled in self._grouped(contracts, grouping, func.count().label("filled")):
            figures.setdefault(group, {})["filled"] = int(filled)
        return figures

    def endings(self, first_day: date, last_day: date) -> list[tuple[int, int, int, int]]:
        """(year, month, conventions, posts) of the conventions in force (signed or amended) whose end
        date falls from `first_day` to `last_day`, by month of that date."""
        ending = (
            select(
                cast(extract("year", Convention.end_date), Integer).label("year"),
                cast(extract("month", Convention.end_date), Integer).label("month"),
                Convention.posts.label("posts"),
            )
            .where(
                Convention.status.in_(RUNNING),
                Convention.end_date >= first_day,
                Convention.end_date <= last_day,
            )
            .subquery()
        )
        rows = self.session.execute(
            select(ending.c.year, ending.c.month, func.count(), func.sum(ending.c.posts))
            .group_by(ending.c.year, ending.c.month)
            .order_by(ending.c.year, ending.c.month)
        ).all()
        return [(int(year), int(month), int(count), int(posts or 0)) for year, month, count, posts in rows]

    def ended_unclosed(self, before: date) -> tuple[int, int]:
        """How many conventions still in force (neither closed nor terminated) ended before `before`,
        and their posts: what a closing run is to settle."""
        count, posts = self.session.execute(
            select(func.count(), func.sum(Convention.posts)).where(
                Convention.status.in_(RUNNING), Convention.end_date < before
            )
        ).one()
        return int(count), int(posts or 0)

    def _grouped(self, rows: Any, grouping: str | None, *aggregates: Any) -> list[Any]:
        # Grouped on a column of the subquery: the region's CASE is written once, in the subquery.
        if grouping is None:
            return [(None, *self.session.execute(select(*aggregates).select_from(rows)).one())]
        key = rows.c[grouping]
        return list(self.session.execute(select(key, *aggregates).group_by(key)).all())


def _territory() -> tuple[Any, Any]:
    return Structure.department.label("department"), region_code(Structure.department).label("region")
