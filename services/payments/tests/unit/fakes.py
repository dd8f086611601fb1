"""A payments unit of work in memory: the repositories of service_layer/unit_of_work.py over dicts and
lists, a TransitionList for the history, a list for the outbox. The use cases run on it unchanged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from cnum_shared.core.contracts import is_active_on
from cnum_shared.testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork
from payments.adapters.orm import (
    ContractCopy,
    ConventionCopy,
    IdempotencyKey,
    StructureCopy,
    Tranche,
)
from payments.domain.clawback import RecoveryKind, RecoveryStatus
from payments.domain.payments import OPEN_RUNS, PaymentStatus
from payments.domain.tranches import TRANCHES, ConventionStatus, TrancheConflict, TrancheKind, TrancheStatus
from payments.domain.transfers import Account, InvalidTransfers


class FakeStructures:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, StructureCopy] = {}

    def get(self, structure_id):
        return self.rows.get(structure_id)

    def add(self, structure):
        self.rows[structure.structure_id] = structure

    def known(self, structure_ids):
        return {i for i in structure_ids if i in self.rows}

    def insert_rows(self, rows):
        for row in rows:
            self.add(StructureCopy(**row))

    def department(self, structure_id):
        found = self.rows.get(structure_id)
        return None if found is None else found.department


class FakeConventions:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, ConventionCopy] = {}

    def get(self, convention_id):
        return self.rows.get(convention_id)

    def add(self, convention):
        self.rows[convention.convention_id] = convention

    def known(self, convention_ids):
        return {i for i in convention_ids if i in self.rows}

    def insert_rows(self, rows):
        for row in rows:
            self.add(ConventionCopy(**row))


class FakeTranches:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Tranche] = {}

    def get(self, tranche_id, *, for_update=False):
        return self.rows.get(tranche_id)

    def add(self, tranche):
        self.rows[tranche.id] = tranche

    def insert_rows(self, rows):
        for row in rows:
            self.add(Tranche(**row))

    def of_convention(self, convention_id):
        return sorted(
            (t for t in self.rows.values() if t.convention_id == convention_id), key=lambda t: t.number
        )

    def many(self, tranche_ids, *, for_update=False):
        return sorted((self.rows[i] for i in tranche_ids if i in self.rows), key=lambda t: t.id)

    def falling_due(self, as_of):
        due = [t for t in self.rows.values() if t.status == TrancheStatus.SCHEDULED and t.due_on <= as_of]
        return sorted(due, key=lambda t: (t.due_on, t.id))

    def unsettled_before(self, tranche):
        limit = (
            (lambda n: n <= tranche.regularises)
            if tranche.kind == TrancheKind.REGULARISATION and tranche.regularises is not None
            else (lambda n: n < tranche.number)
        )
        return [
            t.number
            for t in self.of_convention(tranche.convention_id)
            if t.kind == TrancheKind.INSTALMENT
            and limit(t.number)
            and t.status not in (TrancheStatus.PAID, TrancheStatus.CANCELLED)
        ]

    def approved_outside_open_runs(self, tranche_ids):
        in_open = {
            line.tranche_id
            for run_id, lines in self.uow.payment_runs.run_lines.items()
            if self.uow.payment_runs.runs[run_id].status in OPEN_RUNS
            for line in lines
        }
        found = [
            t
            for t in self.rows.values()
            if t.status == TrancheStatus.APPROVED
            and t.id not in in_open
            and (not tranche_ids or t.id in set(tranche_ids))
        ]
        return sorted(found, key=lambda t: (t.due_on, t.convention_id, t.number))

    def owed_total(self, convention_id, statuses):
        statuses = set(statuses)
        return sum(
            (
                t.amount
                for t in self.rows.values()
                if t.convention_id == convention_id and t.status in statuses
            ),
            Decimal(0),
        )

    def regularisation_lines(self, convention_id):
        return [t for t in self.of_convention(convention_id) if t.kind == TrancheKind.REGULARISATION]

    def page(self, *, statuses, due_before, structure_id, convention_id, departments=None, offset, limit):
        # The territory filter needs the structures' departments, which no unit test asks for.
        assert departments is None
        found = [
            t
            for t in self.rows.values()
            if (not statuses or t.status in statuses)
            and (due_before is None or t.due_on <= due_before)
            and (structure_id is None or t.structure_id == structure_id)
            and (convention_id is None or t.convention_id == convention_id)
        ]
        found.sort(key=lambda t: (t.due_on, t.convention_id, t.number))
        return found[offset : offset + limit], len(found)

    def history(self, tranche_id):
        return [t for t in self.uow.history.of(tranche_id) if t.machine == TRANCHES.name]


class FakeContracts:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, ContractCopy] = {}
        self.salaries: dict[tuple[uuid.UUID, date], Decimal] = {}

    def get(self, contract_id):
        return self.rows.get(contract_id)

    def add(self, contract):
        self.rows[contract.contract_id] = contract

    def all(self):
        return list(self.rows.values())

    def of_convention(self, convention_id):
        found = [c for c in self.rows.values() if c.convention_id == convention_id]
        return sorted(found, key=lambda c: (c.start_date, str(c.contract_id)))

    def active(self, structure_id, on):
        return [
            c
            for c in self.rows.values()
            if c.structure_id == structure_id and is_active_on(c.start_date, c.end_date, c.ended_on, on)
        ]

    def salary_on(self, contract_id, on):
        known = sorted((d, s) for (c, d), s in self.salaries.items() if c == contract_id and d <= on)
        return known[-1][1] if known else None

    def set_salary(self, contract_id, effective_on, salary):
        self.salaries[(contract_id, effective_on)] = salary


class FakeSmicChecks:
    def __init__(self) -> None:
        self.rows: list[Any] = []

    def find(self, contract_id, on, trigger):
        return next(
            (c for c in self.rows if (c.contract_id, c.checked_on, c.trigger) == (contract_id, on, trigger)),
            None,
        )

    def add(self, check):
        self.rows.append(check)

    def checked_on(self, trigger):
        return {(c.contract_id, c.checked_on) for c in self.rows if c.trigger == trigger}

    def page(self, *, contract_id, structure_id, offset, limit):
        found = [
            c
            for c in self.rows
            if (contract_id is None or c.contract_id == contract_id)
            and (structure_id is None or c.structure_id == structure_id)
        ]
        return found[offset : offset + limit], len(found)


class FakeStandings:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Any] = {}

    def get(self, structure_id):
        return self.rows.get(structure_id)

    def add(self, standing):
        self.rows[standing.structure_id] = standing


class FakeHolds:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Any] = {}

    def get(self, hold_id):
        return self.rows.get(hold_id)

    def add(self, hold):
        self.rows[hold.id] = hold

    def in_force(self, structure_id=None, *, every=False):
        return [
            h
            for h in self.rows.values()
            if h.released_at is None and (every or h.structure_id is None or h.structure_id == structure_id)
        ]


class FakePayments:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: list[Any] = []
        self._pending: list[Any] = []

    def add(self, payment):
        self._pending.append(payment)

    def write(self):
        """The partial unique index: one `paid` payment per tranche."""
        for payment in self._pending:
            if any(p.tranche_id == payment.tranche_id and p.status == PaymentStatus.PAID for p in self.rows):
                self._pending = []
                raise TrancheConflict("already_paid", "La tranche est déjà payée.")
            self.rows.append(payment)
        self._pending = []

    def paid_total(self, convention_id):
        return sum(
            (
                p.amount
                for p in self.rows
                if p.status == PaymentStatus.PAID
                and self.uow.tranches.rows[p.tranche_id].convention_id == convention_id
            ),
            Decimal(0),
        )

    def paid_in_run(self, run_id, tranche_id):
        return next(
            (
                p
                for p in self.rows
                if (p.payment_run_id, p.tranche_id) == (run_id, tranche_id) and p.status == PaymentStatus.PAID
            ),
            None,
        )


class FakePaymentRuns:
    def __init__(self) -> None:
        self.runs: dict[uuid.UUID, Any] = {}
        self.run_lines: dict[uuid.UUID, list[Any]] = {}

    def get(self, run_id, *, for_update=False):
        return self.runs.get(run_id)

    def by_request_key(self, request_key):
        return next((r for r in self.runs.values() if r.request_key == request_key), None)

    def add(self, run, lines):
        self.runs[run.id] = run
        self.run_lines[run.id] = list(lines)

    def lines(self, run_id):
        return sorted(self.run_lines.get(run_id, []), key=lambda line: line.end_to_end_id)

    def holding(self, tranche_id):
        for run_id, lines in self.run_lines.items():
            if self.runs[run_id].status in OPEN_RUNS and any(line.tranche_id == tranche_id for line in lines):
                return run_id
        return None

    def page(self, status, offset, limit):
        found = [r for r in self.runs.values() if status is None or r.status == status]
        found.sort(key=lambda r: r.created_at, reverse=True)
        return found[offset : offset + limit], len(found)


class FakeRecoveries:
    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, recovery):
        self.rows.append(recovery)

    def of_convention(self, convention_id):
        return [r for r in self.rows if r.convention_id == convention_id]

    def provisional_refilled_by(self, convention_id, start_date):
        return [
            r
            for r in self.rows
            if r.convention_id == convention_id
            and r.status == RecoveryStatus.PROVISIONAL
            and r.refill_deadline >= start_date
        ]

    def provisional_past_deadline(self, as_of):
        return [
            r
            for r in self.rows
            if r.status == RecoveryStatus.PROVISIONAL and r.refill_deadline < as_of and r.amount > 0
        ]

    def offset_against(self, tranche_ids):
        return [
            r for r in self.rows if r.status == RecoveryStatus.OFFSET and r.offset_tranche_id in tranche_ids
        ]

    def get(self, recovery_id, *, for_update=False):
        return next((r for r in self.rows if r.id == recovery_id), None)

    def regularised_total(self, convention_id, statuses, tranche_number=None):
        statuses = set(statuses)
        return sum(
            (
                r.amount
                for r in self.rows
                if r.convention_id == convention_id
                and r.kind == RecoveryKind.REGULARISATION
                and r.status in statuses
                and (tranche_number is None or r.tranche_number == tranche_number)
            ),
            Decimal(0),
        )


class FakeIdempotencyKeys:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, IdempotencyKey] = {}

    def purge_expired(self, now):
        self.rows = {i: r for i, r in self.rows.items() if r.expires_at >= now}

    def find(self, principal, method, path, key):
        return next(
            (
                r
                for r in self.rows.values()
                if (r.principal, r.method, r.path, r.key) == (principal, method, path, key)
            ),
            None,
        )

    def get(self, key_id):
        return self.rows.get(key_id)

    def add(self, row):
        if self.find(row.principal, row.method, row.path, row.key) is not None:
            return False
        self.rows[row.id] = row
        return True

    def remove(self, key_id):
        self.rows.pop(key_id, None)


@dataclass
class FakeTransfers:
    """The bank's files: `problems` makes every check refuse with them."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)

    def check(self, transfers):
        if self.problems:
            raise InvalidTransfers(self.problems)

    def pain001(self, transfers, *, message_id, execution_date, created_at):
        self.check(transfers)
        self.written.append(message_id)
        ids = ",".join(t.end_to_end_id for t in transfers)
        return f"<pain.001 {message_id} {execution_date.isoformat()} {ids}>".encode()


class FakeUnitOfWork(BaseFakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.structures = FakeStructures()
        self.conventions = FakeConventions()
        self.tranches = FakeTranches(self)
        self.contracts = FakeContracts()
        self.smic_checks = FakeSmicChecks()
        self.standings = FakeStandings()
        self.holds = FakeHolds()
        self.payments = FakePayments(self)
        self.payment_runs = FakePaymentRuns()
        self.recoveries = FakeRecoveries()
        self.idempotency_keys = FakeIdempotencyKeys()
        self.transfers = FakeTransfers()
        self.agency_account = Account(
            "Caisse des depots et consignations", "FR7640031000010000001234555", "CDCGFRPPXXX"
        )


# --- Builders of the facts a test starts from ----------------------------------------------------------


def a_structure(uow: FakeUnitOfWork, department: str = "94", **fields: Any) -> StructureCopy:
    structure = StructureCopy(
        structure_id=uuid.uuid4(),
        name="Médiathèque de Créteil",
        siret="",
        kind="public",
        department=department,
        qpv_zrr=False,
        email="contact@example.org",
        iban="FR7630006000011234567890189",
        bic=None,
        last_event_at=datetime(2025, 1, 1),
        last_sequence=None,
        **fields,
    )
    uow.structures.add(structure)
    return structure


def a_convention(
    uow: FakeUnitOfWork,
    structure: StructureCopy,
    amounts: tuple[str, ...] = ("10000.00", "10000.00", "5000.00"),
    *,
    posts: int = 1,
    start: date = date(2025, 1, 1),
    funded_months: int = 24,
    amount_per_post: str = "25000.00",
) -> tuple[ConventionCopy, list[Tranche]]:
    convention = ConventionCopy(
        convention_id=uuid.uuid4(),
        structure_id=structure.structure_id,
        reference="CNUM-2025-0001",
        wave="2025",
        posts=posts,
        start_date=start,
        end_date=date(start.year + 2, start.month, start.day),
        funded_months=funded_months,
        amount_per_post=Decimal(amount_per_post),
        total_amount=sum((Decimal(a) for a in amounts), Decimal(0)),
        signed_on=start,
        status=ConventionStatus.ACTIVE,
        ended_on=None,
        funding_periods=[
            {
                "number": 1,
                "starts_on": start.isoformat(),
                "ends_on": date(start.year + 2, start.month, start.day).isoformat(),
                "months": funded_months,
                "amount_per_post": amount_per_post,
                "monthly_rate": str((Decimal(amount_per_post) / funded_months).quantize(Decimal("0.01"))),
            }
        ],
    )
    uow.conventions.add(convention)
    tranches = []
    for number, amount in enumerate(amounts, start=1):
        tranche = Tranche(
            id=uuid.uuid4(),
            convention_id=convention.convention_id,
            structure_id=structure.structure_id,
            number=number,
            amount=Decimal(amount),
            due_on=date(start.year + number - 1, start.month, start.day),
            status=TrancheStatus.SCHEDULED,
            approved_by=None,
            approved_at=None,
            updated_at=datetime(2025, 1, 1),
            kind=TrancheKind.INSTALMENT,
            regularises=None,
            amendment_number=None,
        )
        uow.tranches.add(tranche)
        tranches.append(tranche)
    return convention, tranches


def a_clean_standing(uow: FakeUnitOfWork, structure: StructureCopy, as_of: date = date(2025, 1, 1)) -> None:
    uow.standings.add(
        SimpleNamespace(structure_id=structure.structure_id, blocking=False, overdue=[], as_of=as_of)
    )
