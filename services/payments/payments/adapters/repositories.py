"""The SQL of the payments service: one repository per aggregate, in the unit of work's session.

Use cases and read models reach the tables only through these (service_layer/unit_of_work.py lists
them); the unit tests give them in-memory fakes with the same methods (tests/unit/fakes.py).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, String, Table, bindparam, delete, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cnum_shared.core.errors import ConcurrentWrite
from cnum_shared.core.money import quantize_cents
from cnum_shared.framework.db import MONEY, among, contract_active_on, insert_rows, region_code, uuid_text
from payments.adapters.orm import (
    BankFile,
    BankFileLine,
    ContractCopy,
    ConventionCopy,
    Hold,
    IdempotencyKey,
    Payment,
    PaymentRun,
    PaymentRunLine,
    Recovery,
    SalaryPeriod,
    SmicCheck,
    StandingCopy,
    StructureCopy,
    Tranche,
    TrancheHistory,
)
from payments.domain.bank_returns import LineResolution
from payments.domain.clawback import RecoveryKind, RecoveryStatus
from payments.domain.payments import OPEN_RUNS, PaymentRunStatus, PaymentStatus
from payments.domain.tranches import TrancheConflict, TrancheKind, TrancheStatus


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows_page(
        self, statement: Select[Any], order_by: Sequence[Any], offset: int, limit: int
    ) -> tuple[Sequence[Any], int]:
        """One page of a list's rows and the count of every row its filters match (X-Pagination)."""
        total = self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = self.session.execute(statement.order_by(*order_by).offset(offset).limit(limit)).all()
        return rows, total


class StructureRepository(_Repository):
    def get(self, structure_id: uuid.UUID) -> StructureCopy | None:
        return self.session.get(StructureCopy, structure_id)

    def add(self, structure: StructureCopy) -> None:
        self.session.add(structure)

    def known(self, structure_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        return set(
            self.session.scalars(
                select(StructureCopy.structure_id).where(
                    among(self.session, StructureCopy.structure_id, structure_ids)
                )
            )
        )

    def insert_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_rows(self.session, StructureCopy, rows)

    def department(self, structure_id: uuid.UUID) -> str | None:
        return self.session.scalar(
            select(StructureCopy.department).where(StructureCopy.structure_id == structure_id)
        )


class ConventionRepository(_Repository):
    def get(self, convention_id: uuid.UUID) -> ConventionCopy | None:
        return self.session.get(ConventionCopy, convention_id)

    def known(self, convention_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        return set(
            self.session.scalars(
                select(ConventionCopy.convention_id).where(
                    among(self.session, ConventionCopy.convention_id, convention_ids)
                )
            )
        )

    def insert_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_rows(self.session, ConventionCopy, rows)


# The finance officers' busiest page (bench/run.py measures it): Core statements on the tables, built
# once, executed on the connection and read as plain rows, so that a request pays for its rows and not
# for building statements and ORM objects. The page names each tranche for people (reference, structure)
# by joins on primary keys.
#: The list's read model, by the name of its data version (framework.read_cache): migration 0015's
#: triggers move it on every write of `tranches` and of the copies' columns the list shows or joins on
#: (TRANCHE_LIST_SOURCES). A column of another table shown here needs a migration adding its triggers.
TRANCHE_LIST = "tranches"
TRANCHE_LIST_SOURCES: dict[str, tuple[str, ...] | None] = {
    "tranches": None,
    "conventions": ("convention_id", "reference"),
    "structures": ("structure_id", "name"),
}
_TRANCHES = cast(Table, Tranche.__table__)
_CONVENTIONS = cast(Table, ConventionCopy.__table__)
_STRUCTURES = cast(Table, StructureCopy.__table__)
#: The list's read model: the columns its answer shows, nothing else (`updated_at`'s timestamp, parsed on
#: every row, cost more than the query itself), the ids as their text (`uuid_text`) and the status and the
#: kind as the strings the answer carries, not enum members turned back into those strings.
_PAGE_COLUMNS = (
    uuid_text(_TRANCHES.c.id).label("id"),
    uuid_text(_TRANCHES.c.convention_id).label("convention_id"),
    uuid_text(_TRANCHES.c.structure_id).label("structure_id"),
    _TRANCHES.c.number,
    _TRANCHES.c.amount,
    _TRANCHES.c.due_on,
    type_coerce(_TRANCHES.c.status, String).label("status"),
    _TRANCHES.c.approved_by,
    _TRANCHES.c.approved_at,
    type_coerce(_TRANCHES.c.kind, String).label("kind"),
    _TRANCHES.c.regularises,
    _CONVENTIONS.c.reference.label("convention_reference"),
    _STRUCTURES.c.name.label("structure_name"),
)
_COUNT = select(func.count()).select_from(_TRANCHES)


def _of_departments(structure_id: Any, departments: Any) -> Any:
    """The rows whose structure (`structure_id`, a column) is in one of `departments` (a list, or a bound
    parameter expanded at execution): a read model's link by territory (decision 0043)."""
    return structure_id.in_(
        select(_STRUCTURES.c.structure_id).where(_STRUCTURES.c.department.in_(departments))
    )


@functools.cache
def _list_statements(
    statuses: int, due_before: bool, structure_id: bool, convention_id: bool, departments: bool = False
) -> tuple[Select[Any], Select[Any]]:
    """The list's count and page statements for one combination of filters, built once with bound
    parameters: SQLAlchemy then finds their compiled SQL by a cache key computed once, where a statement
    built per request costs its construction and its key on every request.

    The page carries the count as a last column (`total`, an uncorrelated subquery the database runs
    once): one statement a request instead of two. The count statement alone serves a page past the end.

    `statuses` is how many statuses the filter names (0, 1, or 2 for several): one is compared as it always
    was, several are a list expanded at execution. `departments`: the structures of those departments
    (a read model's link by territory, decision 0043)."""
    conditions = []
    if statuses == 1:
        conditions.append(_TRANCHES.c.status == bindparam("status"))
    elif statuses > 1:
        conditions.append(_TRANCHES.c.status.in_(bindparam("statuses", expanding=True)))
    if departments:
        conditions.append(_of_departments(_TRANCHES.c.structure_id, bindparam("departments", expanding=True)))
    if due_before:
        conditions.append(_TRANCHES.c.due_on <= bindparam("due_before"))
    if structure_id:
        conditions.append(_TRANCHES.c.structure_id == bindparam("structure_id"))
    if convention_id:
        conditions.append(_TRANCHES.c.convention_id == bindparam("convention_id"))
    count = _COUNT.where(*conditions)
    page = (
        select(*_PAGE_COLUMNS, count.scalar_subquery().label("total"))
        .select_from(_TRANCHES)
        .join(_CONVENTIONS, _CONVENTIONS.c.convention_id == _TRANCHES.c.convention_id)
        .join(_STRUCTURES, _STRUCTURES.c.structure_id == _TRANCHES.c.structure_id)
        .where(*conditions)
        .order_by(_TRANCHES.c.due_on, _TRANCHES.c.convention_id, _TRANCHES.c.number)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return count, page


class TrancheRepository(_Repository):
    def get(self, tranche_id: uuid.UUID, *, for_update: bool = False) -> Tranche | None:
        statement = select(Tranche).where(Tranche.id == tranche_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def add(self, tranche: Tranche) -> None:
        self.session.add(tranche)
        self.session.flush()

    def insert_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_rows(self.session, Tranche, rows)

    def of_convention(self, convention_id: uuid.UUID) -> list[Tranche]:
        return list(
            self.session.scalars(
                select(Tranche).where(Tranche.convention_id == convention_id).order_by(Tranche.number)
            )
        )

    def many(self, tranche_ids: Sequence[uuid.UUID], *, for_update: bool = False) -> list[Tranche]:
        statement = select(Tranche).where(among(self.session, Tranche.id, tranche_ids)).order_by(Tranche.id)
        if for_update:
            statement = statement.with_for_update()
        return list(self.session.scalars(statement))

    def falling_due(self, as_of: date) -> list[Tranche]:
        return list(
            self.session.scalars(
                select(Tranche)
                .where(Tranche.status == TrancheStatus.SCHEDULED, Tranche.due_on <= as_of)
                .order_by(Tranche.due_on, Tranche.id)
            )
        )

    def unsettled_before(self, tranche: Tranche) -> list[int]:
        """The instalments before `tranche` (for a regularisation line: up to the one it completes) not
        yet paid nor cancelled: tranches are paid in order."""
        earlier_than = (
            Tranche.number <= tranche.regularises
            if tranche.kind == TrancheKind.REGULARISATION and tranche.regularises is not None
            else Tranche.number < tranche.number
        )
        return list(
            self.session.scalars(
                select(Tranche.number).where(
                    Tranche.convention_id == tranche.convention_id,
                    Tranche.kind == TrancheKind.INSTALMENT,
                    earlier_than,
                    Tranche.status.not_in((TrancheStatus.PAID, TrancheStatus.CANCELLED)),
                )
            )
        )

    def approved_outside_open_runs(self, tranche_ids: Sequence[uuid.UUID] | None) -> list[Tranche]:
        in_open_run = (
            select(PaymentRunLine.tranche_id)
            .join(PaymentRun, PaymentRun.id == PaymentRunLine.payment_run_id)
            .where(PaymentRun.status.in_(OPEN_RUNS))
        )
        statement = (
            select(Tranche)
            .where(Tranche.status == TrancheStatus.APPROVED, Tranche.id.not_in(in_open_run))
            .order_by(Tranche.due_on, Tranche.convention_id, Tranche.number)
            .with_for_update()
        )
        if tranche_ids:
            statement = statement.where(among(self.session, Tranche.id, tranche_ids))
        return list(self.session.scalars(statement))

    def owed_total(self, convention_id: uuid.UUID, statuses: Iterable[TrancheStatus]) -> Decimal:
        return Decimal(
            self.session.scalar(
                select(func.coalesce(func.sum(Tranche.amount), 0)).where(
                    Tranche.convention_id == convention_id, Tranche.status.in_(list(statuses))
                )
            )
            or 0
        )

    def regularisation_lines(self, convention_id: uuid.UUID) -> list[Tranche]:
        return list(
            self.session.scalars(
                select(Tranche)
                .where(Tranche.convention_id == convention_id, Tranche.kind == TrancheKind.REGULARISATION)
                .order_by(Tranche.number)
            )
        )

    def page(
        self,
        *,
        statuses: Sequence[TrancheStatus],
        due_before: date | None,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        departments: Sequence[str] | None = None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Any], int]:
        """A page of the list, as plain rows naming the convention and the structure (each also carries the
        count, `total`), and the count. `departments`: None for every one; empty, nothing matches."""
        if departments is not None and not departments:
            return [], 0
        count, page_of = _list_statements(
            min(len(statuses), 2),
            due_before is not None,
            structure_id is not None,
            convention_id is not None,
            bool(departments),
        )
        parameters: dict[str, Any] = {
            "status": statuses[0].value if len(statuses) == 1 else None,
            "due_before": due_before,
            "structure_id": structure_id,
            "convention_id": convention_id,
        }
        if len(statuses) > 1:
            parameters["statuses"] = [status.value for status in statuses]
        if departments:
            parameters["departments"] = list(departments)
        connection = self.session.connection()
        page = connection.execute(page_of, {**parameters, "offset": offset, "limit": limit}).all()
        total = page[0].total if page else connection.execute(count, parameters).scalar_one()
        return page, total

    def history(self, tranche_id: uuid.UUID) -> list[TrancheHistory]:
        return list(
            self.session.scalars(
                select(TrancheHistory)
                .where(TrancheHistory.tranche_id == tranche_id)
                .order_by(TrancheHistory.at, TrancheHistory.id)
            )
        )


class ContractRepository(_Repository):
    def get(self, contract_id: uuid.UUID) -> ContractCopy | None:
        return self.session.get(ContractCopy, contract_id)

    def add(self, contract: ContractCopy) -> None:
        self.session.add(contract)

    def all(self) -> list[ContractCopy]:
        return list(self.session.scalars(select(ContractCopy)))

    def of_convention(self, convention_id: uuid.UUID) -> list[ContractCopy]:
        return list(
            self.session.scalars(
                select(ContractCopy)
                .where(ContractCopy.convention_id == convention_id)
                .order_by(ContractCopy.start_date, ContractCopy.contract_id)
            )
        )

    def active(self, structure_id: uuid.UUID, on: date) -> list[ContractCopy]:
        """DESIGN §3's rule (cnum_shared.framework.db.contract_active_on)."""
        return list(
            self.session.scalars(
                select(ContractCopy).where(
                    ContractCopy.structure_id == structure_id,
                    contract_active_on(
                        ContractCopy.start_date, ContractCopy.end_date, ContractCopy.ended_on, on
                    ),
                )
            )
        )

    def salary_on(self, contract_id: uuid.UUID, on: date) -> Decimal | None:
        """The salary in force on `on`: the last period that started on or before it."""
        return self.session.scalar(
            select(SalaryPeriod.salary)
            .where(SalaryPeriod.contract_id == contract_id, SalaryPeriod.effective_on <= on)
            .order_by(SalaryPeriod.effective_on.desc())
            .limit(1)
        )

    def set_salary(self, contract_id: uuid.UUID, effective_on: date, salary: Decimal) -> None:
        existing = self.session.scalar(
            select(SalaryPeriod).where(
                SalaryPeriod.contract_id == contract_id, SalaryPeriod.effective_on == effective_on
            )
        )
        if existing is None:
            self.session.add(
                SalaryPeriod(
                    id=uuid.uuid4(), contract_id=contract_id, effective_on=effective_on, salary=salary
                )
            )
        else:
            existing.salary = salary
        self.session.flush()


class SmicCheckRepository(_Repository):
    def find(self, contract_id: uuid.UUID, on: date, trigger: str) -> SmicCheck | None:
        return self.session.scalar(
            select(SmicCheck).where(
                SmicCheck.contract_id == contract_id,
                SmicCheck.checked_on == on,
                SmicCheck.trigger == trigger,
            )
        )

    def add(self, check: SmicCheck) -> None:
        self.session.add(check)
        self.session.flush()

    def checked_on(self, trigger: str) -> set[tuple[uuid.UUID, date]]:
        return {
            (row[0], row[1])
            for row in self.session.execute(
                select(SmicCheck.contract_id, SmicCheck.checked_on).where(SmicCheck.trigger == trigger)
            )
        }

    def page(
        self, *, contract_id: uuid.UUID | None, structure_id: uuid.UUID | None, offset: int, limit: int
    ) -> tuple[list[SmicCheck], int]:
        statement = select(SmicCheck)
        if contract_id:
            statement = statement.where(SmicCheck.contract_id == contract_id)
        if structure_id:
            statement = statement.where(SmicCheck.structure_id == structure_id)
        total = self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        page = self.session.scalars(
            statement.order_by(SmicCheck.checked_on, SmicCheck.created_at, SmicCheck.id)
            .offset(offset)
            .limit(limit)
        ).all()
        return list(page), total


class StandingRepository(_Repository):
    def get(self, structure_id: uuid.UUID) -> StandingCopy | None:
        return self.session.get(StandingCopy, structure_id)

    def add(self, standing: StandingCopy) -> None:
        self.session.add(standing)


class HoldRepository(_Repository):
    def get(self, hold_id: uuid.UUID) -> Hold | None:
        return self.session.get(Hold, hold_id)

    def add(self, hold: Hold) -> None:
        self.session.add(hold)

    def in_force(self, structure_id: uuid.UUID | None = None, *, every: bool = False) -> list[Hold]:
        """The holds not lifted: those that apply to `structure_id` (programme-wide ones included), or
        all of them with `every`."""
        statement = select(Hold).where(Hold.released_at.is_(None))
        if not every:
            statement = statement.where((Hold.structure_id.is_(None)) | (Hold.structure_id == structure_id))
        return list(self.session.scalars(statement.order_by(Hold.created_at)))


class PaymentRepository(_Repository):
    def add(self, payment: Payment) -> None:
        self.session.add(payment)

    def page(
        self,
        *,
        status: PaymentStatus | None,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        payment_run_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Any], int]:
        """Payments, latest first, as plain rows naming the tranche, the convention and the structure."""
        conditions: list[Any] = []
        if status:
            conditions.append(Payment.status == status)
        if structure_id:
            conditions.append(Tranche.structure_id == structure_id)
        if convention_id:
            conditions.append(Tranche.convention_id == convention_id)
        if payment_run_id:
            conditions.append(Payment.payment_run_id == payment_run_id)
        joined = (
            select(
                *cast(Table, Payment.__table__).c,
                Tranche.number.label("tranche_number"),
                Tranche.convention_id,
                Tranche.structure_id,
                _CONVENTIONS.c.reference.label("convention_reference"),
                _STRUCTURES.c.name.label("structure_name"),
            )
            .join(Tranche, Tranche.id == Payment.tranche_id)
            .join(_CONVENTIONS, _CONVENTIONS.c.convention_id == Tranche.convention_id)
            .join(_STRUCTURES, _STRUCTURES.c.structure_id == Tranche.structure_id)
            .where(*conditions)
        )
        return self._rows_page(
            joined, (Payment.paid_on.desc(), Payment.created_at.desc(), Payment.id), offset, limit
        )

    def write(self) -> None:
        """Write the payments added: a second `paid` payment of a tranche is refused by the partial unique
        index (a concurrent request paid it between our read and our write) — a 409, nothing written."""
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise TrancheConflict("already_paid", "La tranche est déjà payée.") from None

    def paid_total(self, convention_id: uuid.UUID) -> Decimal:
        """What was paid for the convention's tranches (returned payments do not count)."""
        return Decimal(
            self.session.scalar(
                select(func.coalesce(func.sum(Payment.amount), 0))
                .join(Tranche, Tranche.id == Payment.tranche_id)
                .where(Tranche.convention_id == convention_id, Payment.status == PaymentStatus.PAID)
            )
            or 0
        )

    def paid_in_run(self, run_id: uuid.UUID, tranche_id: uuid.UUID) -> Payment | None:
        return self.session.scalar(
            select(Payment).where(
                Payment.tranche_id == tranche_id,
                Payment.payment_run_id == run_id,
                Payment.status == PaymentStatus.PAID,
            )
        )


class PaymentRunRepository(_Repository):
    def get(self, run_id: uuid.UUID, *, for_update: bool = False) -> PaymentRun | None:
        statement = select(PaymentRun).where(PaymentRun.id == run_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def by_request_key(self, request_key: str) -> PaymentRun | None:
        return self.session.scalar(select(PaymentRun).where(PaymentRun.request_key == request_key))

    def add(self, run: PaymentRun, lines: Sequence[PaymentRunLine]) -> None:
        self.session.add(run)
        self.session.flush()
        self.session.add_all(lines)
        self.session.flush()

    def lines(self, run_id: uuid.UUID) -> list[PaymentRunLine]:
        return list(
            self.session.scalars(
                select(PaymentRunLine)
                .where(PaymentRunLine.payment_run_id == run_id)
                .order_by(PaymentRunLine.end_to_end_id)
            )
        )

    def holding(self, tranche_id: uuid.UUID) -> uuid.UUID | None:
        """The open run (draft or exported) the tranche is in, if any."""
        return self.session.scalar(
            select(PaymentRun.id)
            .join(PaymentRunLine, PaymentRunLine.payment_run_id == PaymentRun.id)
            .where(PaymentRunLine.tranche_id == tranche_id, PaymentRun.status.in_(OPEN_RUNS))
            .limit(1)
        )

    def page(self, status: PaymentRunStatus | None, offset: int, limit: int) -> tuple[Sequence[Any], int]:
        """The runs, newest first, without their SEPA files (rows, not objects: a list never needs them)."""
        statement = select(*(column for column in PaymentRun.__table__.columns if column.name != "sepa_xml"))
        if status:
            statement = statement.where(PaymentRun.status == status)
        return self._rows_page(statement, (PaymentRun.created_at.desc(), PaymentRun.id), offset, limit)


class RecoveryRepository(_Repository):
    def add(self, recovery: Recovery) -> None:
        self.session.add(recovery)

    def get(self, recovery_id: uuid.UUID, *, for_update: bool = False) -> Recovery | None:
        statement = select(Recovery).where(Recovery.id == recovery_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def page(
        self,
        *,
        statuses: Sequence[RecoveryStatus],
        kind: RecoveryKind | None,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        departments: Sequence[str] | None = None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Any], int]:
        """Recoveries, latest first, as plain rows naming the convention and the structure. `statuses`:
        none for every one; `departments`: None for every one, empty for none (as the tranches' page)."""
        if departments is not None and not departments:
            return [], 0
        conditions: list[Any] = []
        if statuses:
            conditions.append(Recovery.status.in_(list(statuses)))
        if departments:
            conditions.append(_of_departments(Recovery.structure_id, list(departments)))
        if kind:
            conditions.append(Recovery.kind == kind)
        if structure_id:
            conditions.append(Recovery.structure_id == structure_id)
        if convention_id:
            conditions.append(Recovery.convention_id == convention_id)
        joined = (
            select(
                *(c for c in cast(Table, Recovery.__table__).c if c.name != "computation"),
                _CONVENTIONS.c.reference.label("convention_reference"),
                _STRUCTURES.c.name.label("structure_name"),
            )
            .join(_CONVENTIONS, _CONVENTIONS.c.convention_id == Recovery.convention_id)
            .outerjoin(_STRUCTURES, _STRUCTURES.c.structure_id == Recovery.structure_id)
            .where(*conditions)
        )
        return self._rows_page(joined, (Recovery.created_at.desc(), Recovery.id), offset, limit)

    def of_convention(self, convention_id: uuid.UUID) -> list[Recovery]:
        return list(
            self.session.scalars(
                select(Recovery)
                .where(Recovery.convention_id == convention_id)
                .order_by(Recovery.created_at, Recovery.id)
            )
        )

    def provisional_refilled_by(self, convention_id: uuid.UUID, start_date: date) -> list[Recovery]:
        """Provisional recoveries of the convention whose refill deadline a post starting on
        `start_date` meets."""
        return list(
            self.session.scalars(
                select(Recovery)
                .where(
                    Recovery.convention_id == convention_id,
                    Recovery.status == RecoveryStatus.PROVISIONAL,
                    Recovery.refill_deadline >= start_date,
                )
                .order_by(Recovery.created_at, Recovery.id)
            )
        )

    def provisional_past_deadline(self, as_of: date) -> list[Recovery]:
        """Provisional recoveries of some amount whose refill deadline is before `as_of`: no refill can
        cancel them now (one of 0.00 claims nothing: it is never issued)."""
        return list(
            self.session.scalars(
                select(Recovery)
                .where(
                    Recovery.status == RecoveryStatus.PROVISIONAL,
                    Recovery.refill_deadline < as_of,
                    Recovery.amount > 0,
                )
                .order_by(Recovery.refill_deadline, Recovery.created_at, Recovery.id)
                .with_for_update()
            )
        )

    def offset_against(self, tranche_ids: Sequence[uuid.UUID]) -> list[Recovery]:
        """The recoveries `offset` against these tranches (each to be paid net of them)."""
        if not tranche_ids:
            return []
        return list(
            self.session.scalars(
                select(Recovery)
                .where(Recovery.status == RecoveryStatus.OFFSET, Recovery.offset_tranche_id.in_(tranche_ids))
                .order_by(Recovery.created_at, Recovery.id)
            )
        )

    def regularised_total(
        self,
        convention_id: uuid.UUID,
        statuses: Iterable[RecoveryStatus],
        tranche_number: int | None = None,
    ) -> Decimal:
        """What avenants' reductions claim back (of one tranche, or of the whole convention)."""
        statement = select(func.coalesce(func.sum(Recovery.amount), 0)).where(
            Recovery.convention_id == convention_id,
            Recovery.kind == RecoveryKind.REGULARISATION,
            Recovery.status.in_(list(statuses)),
        )
        if tranche_number is not None:
            statement = statement.where(Recovery.tranche_number == tranche_number)
        return Decimal(self.session.scalar(statement) or 0)


class IdempotencyKeyRepository(_Repository):
    def purge_expired(self, now: datetime) -> None:
        self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))

    def find(self, principal: str, method: str, path: str, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.method == method,
                IdempotencyKey.path == path,
                IdempotencyKey.key == key,
            )
        )

    def get(self, key_id: uuid.UUID) -> IdempotencyKey | None:
        return self.session.get(IdempotencyKey, key_id)

    def add(self, row: IdempotencyKey) -> bool:
        """Write the claim now; False (nothing written) when a concurrent request claimed the key first."""
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            return False
        return True

    def remove(self, key_id: uuid.UUID) -> None:
        self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id))


class BankFileRepository(_Repository):
    def by_sha256(self, sha256: str) -> BankFile | None:
        return self.session.scalar(select(BankFile).where(BankFile.sha256 == sha256))

    def get(self, file_id: uuid.UUID) -> BankFile | None:
        return self.session.get(BankFile, file_id)

    def add(self, bank_file: BankFile, lines: Sequence[BankFileLine]) -> None:
        """Write the file and its lines now; ConcurrentWrite (nothing written) when another request stored
        the same file (its SHA-256) between our check and our write."""
        self.session.add(bank_file)
        self.session.add_all(lines)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise ConcurrentWrite() from None

    def lines(self, file_id: uuid.UUID) -> list[BankFileLine]:
        return list(
            self.session.scalars(
                select(BankFileLine)
                .where(BankFileLine.bank_file_id == file_id)
                .order_by(BankFileLine.position)
            )
        )

    def line(self, line_id: uuid.UUID, *, for_update: bool = False) -> BankFileLine | None:
        statement = select(BankFileLine).where(BankFileLine.id == line_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def first_seen(self, identities: Iterable[str]) -> dict[str, BankFileLine]:
        """The lines of earlier files that first brought these bank facts, by identity."""
        wanted = list(identities)
        if not wanted:
            return {}
        return {
            line.identity: line
            for line in self.session.scalars(
                select(BankFileLine).where(
                    among(self.session, BankFileLine.identity, wanted), BankFileLine.repeats_line_id.is_(None)
                )
            )
            if line.identity is not None
        }

    def work_list(
        self,
        *,
        resolutions: Sequence[LineResolution],
        booked_from: date | None,
        booked_to: date | None,
        amount: Decimal | None,
        line_id: uuid.UUID | None = None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Any], int]:
        """The lines an officer is to deal with or has dealt with, as plain rows naming their file, in the
        order they came, and the count."""
        conditions: list[Any] = [BankFileLine.resolution.in_(list(resolutions))]
        if booked_from:
            conditions.append(BankFileLine.booking_date >= booked_from)
        if booked_to:
            conditions.append(BankFileLine.booking_date <= booked_to)
        if amount is not None:
            conditions.append(BankFileLine.amount == amount)
        if line_id is not None:
            conditions.append(BankFileLine.id == line_id)
        joined = (
            select(
                *cast(Table, BankFileLine.__table__).c,
                BankFile.kind.label("file_kind"),
                BankFile.message_id.label("file_message_id"),
                BankFile.imported_at.label("imported_at"),
                BankFile.imported_by.label("imported_by"),
            )
            .join(BankFile, BankFile.id == BankFileLine.bank_file_id)
            .where(*conditions)
        )
        return self._rows_page(
            joined, (BankFile.imported_at, BankFile.id, BankFileLine.position), offset, limit
        )

    def applied(self, keys: Iterable[str]) -> set[str]:
        """Which of these applications (a return, a booking, a receipt) an earlier file already made."""
        wanted = list(keys)
        if not wanted:
            return set()
        return set(
            self.session.scalars(select(BankFileLine.applied_key).where(BankFileLine.applied_key.in_(wanted)))
        )

    def run_line(self, end_to_end_id: str) -> tuple[PaymentRunLine, PaymentRun] | None:
        """The transfer of an exported or confirmed run with this end-to-end id (the latest run first:
        a tranche returned and paid again keeps its end-to-end id in its new run)."""
        row = self.session.execute(
            select(PaymentRunLine, PaymentRun)
            .join(PaymentRun, PaymentRun.id == PaymentRunLine.payment_run_id)
            .where(
                PaymentRunLine.end_to_end_id == end_to_end_id,
                PaymentRun.status.in_([PaymentRunStatus.EXPORTED, PaymentRunStatus.CONFIRMED]),
            )
            .order_by(PaymentRun.created_at.desc(), PaymentRun.id)
            .limit(1)
        ).first()
        return (row[0], row[1]) if row is not None else None


class StatisticsRepository(_Repository):
    """The programme's amounts added up in the database, by department, by region or in all: the
    dashboard's read model (decision 0043). One statement per figure and grouping, whatever the rows."""

    def amounts(
        self,
        grouping: str | None,
        *,
        owed: Sequence[TrancheStatus],
        recoverable: Sequence[RecoveryStatus],
        issued: Sequence[RecoveryStatus],
    ) -> dict[str | None, dict[str, Decimal]]:
        """{group: {figure: sum}} for `grouping` "department", "region" or None (one group, None): the
        committed (tranches not cancelled), paid (payments not returned), due (tranches in `owed`),
        recoverable (recoveries in `recoverable`) and issued (recoveries in `issued`) amounts; a group
        appears when one of its figures has a row."""
        committed = self._tranches().where(Tranche.status != TrancheStatus.CANCELLED)
        due = self._tranches().where(Tranche.status.in_(list(owed)))
        paid = (
            select(*self._territory(), Payment.amount.label("amount"))
            .select_from(Payment)
            .join(Tranche, Tranche.id == Payment.tranche_id)
            .join(StructureCopy, StructureCopy.structure_id == Tranche.structure_id)
            .where(Payment.status == PaymentStatus.PAID)
        )
        figures: dict[str | None, dict[str, Decimal]] = {}
        for name, source in (
            ("committed", committed),
            ("paid", paid),
            ("due", due),
            ("recoverable", self._recoveries(recoverable)),
            ("recoverable_issued", self._recoveries(issued)),
        ):
            for group, total in self._sums(source, grouping):
                figures.setdefault(group, {})[name] = total
        return figures

    @staticmethod
    def _territory() -> tuple[Any, Any]:
        return (
            StructureCopy.department.label("department"),
            region_code(StructureCopy.department).label("region"),
        )

    def _tranches(self) -> Select[Any]:
        return (
            select(*self._territory(), Tranche.amount.label("amount"))
            .select_from(Tranche)
            .join(StructureCopy, StructureCopy.structure_id == Tranche.structure_id)
        )

    def _recoveries(self, statuses: Sequence[RecoveryStatus]) -> Select[Any]:
        return (
            select(*self._territory(), Recovery.amount.label("amount"))
            .select_from(Recovery)
            .join(StructureCopy, StructureCopy.structure_id == Recovery.structure_id)
            .where(Recovery.status.in_(list(statuses)))
        )

    def _sums(self, source: Select[Any], grouping: str | None) -> list[tuple[str | None, Decimal]]:
        # Grouped on a column of the subquery: the region's CASE is written once, in the subquery.
        rows = source.subquery()
        total = type_coerce(func.sum(rows.c.amount), MONEY).label("total")
        if grouping is None:
            found = self.session.execute(select(total)).scalar_one()
            return [] if found is None else [(None, quantize_cents(found))]
        key = rows.c[grouping]
        return [
            (group, quantize_cents(amount))
            for group, amount in self.session.execute(select(key, total).group_by(key)).all()
            if amount is not None
        ]
