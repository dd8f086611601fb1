"""In-memory repositories and unit of work with the methods of the SQL ones (compliance.adapters):
the use cases run on them without a database, and the tests read what they changed."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from cnum_shared.core.state_machine import Transition
from cnum_shared.testing.fakes import FakeHistory
from cnum_shared.testing.fakes import FakeUnitOfWork as BaseFakeUnitOfWork
from compliance.adapters.orm import (
    Alert,
    AlertItem,
    ContractCopy,
    ConventionCopy,
    Evidence,
    FinalStatement,
    Obligation,
    RecoveryOrder,
    Standing,
    StructureContact,
    TrainingExemption,
    TrainingRecord,
)
from compliance.domain.alerts import AlertKind, AlertStatus
from compliance.domain.obligations import PENDING, ObligationKind, ObligationStatus
from compliance.service_layer import conventions
from compliance.service_layer.commands import Contact, RecordContractSigned, RecordConventionSigned


class FakeStructures:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, StructureContact] = {}

    def get(self, structure_id: uuid.UUID) -> StructureContact | None:
        return self.rows.get(structure_id)

    def add(self, contact: StructureContact) -> None:
        self.rows[contact.structure_id] = contact

    def ids(self) -> list[uuid.UUID]:
        return list(self.rows)


class FakeConventions:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, ConventionCopy] = {}

    def get(self, convention_id: uuid.UUID) -> ConventionCopy | None:
        return self.rows.get(convention_id)

    def add(self, convention: ConventionCopy) -> None:
        self.rows[convention.convention_id] = convention


class FakeContracts:
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, ContractCopy] = {}

    def get(self, contract_id: uuid.UUID) -> ContractCopy | None:
        return self.by_id.get(contract_id)

    def add(self, contract: ContractCopy) -> None:
        self.by_id[contract.contract_id] = contract

    def count_of_advisor(self, convention_id: uuid.UUID, advisor_id: uuid.UUID, *, besides: uuid.UUID) -> int:
        return sum(
            1
            for c in self.by_id.values()
            if c.convention_id == convention_id and c.advisor_id == advisor_id and c.contract_id != besides
        )

    def rows(self, contract_ids: Collection[uuid.UUID] | None = None) -> list[ContractCopy]:
        return [c for c in self.by_id.values() if contract_ids is None or c.contract_id in contract_ids]

    def among(
        self, contract_ids: Collection[uuid.UUID], structure_id: uuid.UUID | None = None
    ) -> list[ContractCopy]:
        return [c for c in self.rows(contract_ids) if structure_id is None or c.structure_id == structure_id]


class FakeObligations:
    def __init__(self, history: FakeHistory, contracts: FakeContracts) -> None:
        self.rows: dict[uuid.UUID, Obligation] = {}
        self._history = history
        self._contracts = contracts

    def all(self) -> list[Obligation]:
        return list(self.rows.values())

    def get(self, obligation_id: uuid.UUID) -> Obligation | None:
        return self.rows.get(obligation_id)

    def with_key(self, natural_key: str) -> Obligation | None:
        return next((o for o in self.rows.values() if o.natural_key == natural_key), None)

    def add(self, obligation: Obligation) -> None:
        self.rows[obligation.id] = obligation

    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add(Obligation(**row))

    def pending(
        self,
        *,
        contract_id: uuid.UUID | None = None,
        convention_id: uuid.UUID | None = None,
        candidate_id: uuid.UUID | None = None,
        kinds: Iterable[ObligationKind] | None = None,
        period: date | None = None,
    ) -> list[Obligation]:
        wanted = None if kinds is None else {kind.value for kind in kinds}
        found = [
            o
            for o in self.rows.values()
            if o.status in PENDING
            and (contract_id is None or o.contract_id == contract_id)
            and (convention_id is None or o.convention_id == convention_id)
            and (candidate_id is None or o.candidate_id == candidate_id)
            and (period is None or o.period == period)
            and (wanted is None or o.kind in wanted)
        ]
        return sorted(found, key=lambda o: (o.created_at, str(o.id)))

    def pending_posts(
        self, convention_id: uuid.UUID, kinds: Iterable[ObligationKind], *, newest_first: bool = False
    ) -> list[Obligation]:
        found = self.pending(convention_id=convention_id, kinds=kinds)
        return sorted(found, key=lambda o: (o.due_on, o.created_at, o.natural_key), reverse=newest_first)

    def count_presentations(self, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> int:
        return sum(
            1
            for o in self.rows.values()
            if o.convention_id == convention_id
            and o.kind == ObligationKind.CANDIDATE_PRESENTATION
            and o.advisor_id == advisor_id
        )

    def of_contract(self, contract_id: uuid.UUID, kind: ObligationKind) -> list[Obligation]:
        return [o for o in self.rows.values() if o.contract_id == contract_id and o.kind == kind]

    def keys_of_kind(self, kind: ObligationKind) -> set[str]:
        return {o.natural_key for o in self.rows.values() if o.kind == kind}

    def years_of(self, kind: ObligationKind, contract_ids: Collection[uuid.UUID]) -> list[Obligation]:
        return [o for o in self.rows.values() if o.kind == kind and o.contract_id in contract_ids]

    def to_move(
        self,
        statuses: Iterable[ObligationStatus],
        *,
        due_before: date | None = None,
        due_by: date | None = None,
    ) -> list[tuple[uuid.UUID, ObligationStatus]]:
        wanted = set(statuses)
        return [
            (o.id, ObligationStatus(o.status))
            for o in self.rows.values()
            if o.status in wanted
            and (due_before is None or o.due_on < due_before)
            and (due_by is None or o.due_on <= due_by)
        ]

    def set_status(self, obligation_ids: Sequence[uuid.UUID], status: ObligationStatus, at: datetime) -> None:
        for obligation_id in obligation_ids:
            self.rows[obligation_id].status = status
            self.rows[obligation_id].updated_at = at

    def overdue(self, structure_ids: Collection[uuid.UUID] | None = None) -> list[Obligation]:
        return [
            o
            for o in self.rows.values()
            if o.status == ObligationStatus.OVERDUE
            and (structure_ids is None or o.structure_id in structure_ids)
        ]

    def overdue_of(self, structure_id: uuid.UUID) -> list[Obligation]:
        return sorted(self.overdue([structure_id]), key=lambda o: o.due_on)

    def to_alert(self) -> list[tuple[Obligation, date | None]]:
        found = [
            o
            for o in self.rows.values()
            if o.status in PENDING
            and (
                o.status in (ObligationStatus.DUE_SOON, ObligationStatus.OVERDUE)
                or o.kind == ObligationKind.ACTIVITY_REPORTING
                or o.escalation_requests > 0
            )
        ]
        return [
            (
                o,
                self._contracts.by_id[o.contract_id].start_date
                if o.contract_id in self._contracts.by_id
                else None,
            )
            for o in sorted(found, key=lambda o: (o.due_on, str(o.id)))
        ]

    def history(self, obligation_id: uuid.UUID) -> list[Transition]:
        return self._history.of(obligation_id)


class FakeEvidence:
    def __init__(self) -> None:
        self.rows: list[Evidence] = []

    def last_revision(self, obligation_id: uuid.UUID) -> int:
        return max((e.revision for e in self.rows if e.obligation_id == obligation_id), default=0)

    def add(self, evidence: Evidence) -> None:
        self.rows.append(evidence)

    def of_obligation(self, obligation_id: uuid.UUID) -> list[Evidence]:
        return sorted((e for e in self.rows if e.obligation_id == obligation_id), key=lambda e: -e.revision)


class FakeTraining:
    def __init__(self) -> None:
        self.rows: list[TrainingRecord] = []

    def add(self, record: TrainingRecord) -> None:
        self.rows.append(record)

    def kinds_of(self, contract_id: uuid.UUID) -> set[str]:
        return {r.kind for r in self.rows if r.contract_id == contract_id}

    def modules_of(self, contract_id: uuid.UUID) -> list[date]:
        return [r.date for r in self.rows if r.contract_id == contract_id and r.kind == "module"]

    def modules_among(self, contract_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[date]]:
        modules: dict[uuid.UUID, list[date]] = {}
        for r in self.rows:
            if r.kind == "module" and r.contract_id in contract_ids:
                modules.setdefault(r.contract_id, []).append(r.date)
        return modules

    def entries(self) -> dict[uuid.UUID, date]:
        entries: dict[uuid.UUID, date] = {}
        for r in self.rows:
            if r.kind == "training_entry":
                entries[r.contract_id] = min(r.date, entries.get(r.contract_id, r.date))
        return entries


class FakeExemptions:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, TrainingExemption] = {}

    def of_contract(self, contract_id: uuid.UUID) -> TrainingExemption | None:
        return self.rows.get(contract_id)

    def add(self, exemption: TrainingExemption) -> None:
        self.rows[exemption.contract_id] = exemption

    def contract_ids(self) -> set[uuid.UUID]:
        return set(self.rows)


class FakeActivityReports:
    def __init__(self) -> None:
        self.rows: list[SimpleNamespace] = []

    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows.extend(SimpleNamespace(**row) for row in rows)

    def known(self, external_ids: Collection[str]) -> set[tuple[uuid.UUID, str]]:
        return {(r.structure_id, r.external_id) for r in self.rows if r.external_id in external_ids}

    def contracts_reporting_in(self, month: date, following: date) -> set[uuid.UUID]:
        return {r.contract_id for r in self.rows if month <= r.date < following}


class FakeStandings:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Standing] = {}

    def get(self, structure_id: uuid.UUID) -> Standing | None:
        return self.rows.get(structure_id)

    def of(self, structure_ids: Collection[uuid.UUID] | None = None) -> dict[uuid.UUID, Standing]:
        return {k: v for k, v in self.rows.items() if structure_ids is None or k in structure_ids}

    def add(self, standing: Standing) -> None:
        self.rows[standing.structure_id] = standing


class FakeAlerts:
    def __init__(self, obligations: FakeObligations, contracts: FakeContracts) -> None:
        self.rows: dict[uuid.UUID, Alert] = {}
        self.items: list[AlertItem] = []
        self.orders: dict[uuid.UUID, RecoveryOrder] = {}
        self.statements: dict[uuid.UUID, FinalStatement] = {}
        self._obligations = obligations
        self._contracts = contracts

    def get(self, alert_id: uuid.UUID) -> Alert | None:
        return self.rows.get(alert_id)

    def add(self, alert: Alert, items: Sequence[AlertItem]) -> None:
        self.rows[alert.id] = alert
        self.items.extend(items)

    def told(self) -> set[tuple[uuid.UUID, str, int]]:
        return {(i.obligation_id, i.step, i.officer_request) for i in self.items}

    def officer_requests_told(self) -> dict[uuid.UUID, int]:
        told: dict[uuid.UUID, int] = {}
        for i in self.items:
            if i.officer_request > 0:
                told[i.obligation_id] = max(i.officer_request, told.get(i.obligation_id, 0))
        return told

    def with_key(self, key: str) -> Alert | None:
        return next((a for a in self.rows.values() if a.key == key), None)

    def add_order(self, order: RecoveryOrder) -> None:
        self.orders[order.alert_id] = order

    def order_of(self, alert_id: uuid.UUID) -> RecoveryOrder | None:
        return self.orders.get(alert_id)

    def orders_of(self, alert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, RecoveryOrder]:
        return {alert_id: order for alert_id, order in self.orders.items() if alert_id in alert_ids}

    def add_statement(self, statement: FinalStatement) -> None:
        self.statements[statement.alert_id] = statement

    def statement_of(self, alert_id: uuid.UUID) -> FinalStatement | None:
        return self.statements.get(alert_id)

    def statements_of(self, alert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, FinalStatement]:
        return {alert_id: found for alert_id, found in self.statements.items() if alert_id in alert_ids}

    def structures_told_on(self, digest_date: date) -> set[uuid.UUID]:
        return {
            a.structure_id
            for a in self.rows.values()
            if a.digest_date == digest_date and a.kind == AlertKind.DIGEST
        }

    def pending(self) -> list[Alert]:
        return sorted(
            (a for a in self.rows.values() if a.status == AlertStatus.PENDING), key=lambda a: a.created_at
        )

    def told_in(self, alert_id: uuid.UUID) -> list[tuple[Obligation, str, int, date | None]]:
        found = []
        for item in self.items:
            if item.alert_id == alert_id:
                obligation = self._obligations.rows[item.obligation_id]
                contract = (
                    self._contracts.by_id.get(obligation.contract_id) if obligation.contract_id else None
                )
                found.append(
                    (obligation, item.step, item.officer_request, contract.start_date if contract else None)
                )
        return sorted(found, key=lambda row: (row[0].due_on, str(row[0].id)))

    def of_structure(self, structure_id: uuid.UUID) -> list[Alert]:
        return [a for a in self.rows.values() if a.structure_id == structure_id]

    def items_of(self, alert_ids: Collection[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
        return [
            (i.alert_id, i.obligation_id, i.step, i.officer_request)
            for i in self.items
            if i.alert_id in alert_ids
        ]


class FakeUnitOfWork(BaseFakeUnitOfWork):
    """The compliance unit of work in memory; `commits` counts the use case's commits."""

    def __init__(self) -> None:
        super().__init__()
        self.structures = FakeStructures()
        self.conventions = FakeConventions()
        self.contracts = FakeContracts()
        self.obligations = FakeObligations(self.history, self.contracts)
        self.evidence = FakeEvidence()
        self.training = FakeTraining()
        self.exemptions = FakeExemptions()
        self.activity_reports = FakeActivityReports()
        self.standings = FakeStandings()
        self.alerts = FakeAlerts(self.obligations, self.contracts)


class FakeFiles:
    def __init__(self) -> None:
        self.written: dict[str, bytes] = {}

    def write(self, relative: str, content: bytes) -> None:
        self.written[relative] = content


class FakeMailer:
    """Keeps what it would send; `refuse` makes it answer as an SMTP server that cannot be reached."""

    officer_email = "conformite@cnum.example"

    def __init__(self, refuse: str | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refuse = refuse

    def deliver(self, **message: Any) -> str | None:
        if self.refuse is not None:
            return self.refuse
        self.sent.append(message)
        return None


# --- Given: what conventions' events leave in compliance, through the use cases ---------------------------

OCCURRED = datetime(2026, 1, 1, tzinfo=UTC)


def contact(structure_id: uuid.UUID, sequence: int = 1, email: str = "inclusion@letampon.example") -> Contact:
    return Contact(structure_id, "Commune du Tampon", email, OCCURRED, sequence)


def signed_convention(
    uow: FakeUnitOfWork, *, signed_on: date, end_date: date, posts: int = 1
) -> RecordConventionSigned:
    structure_id = uuid.uuid4()
    command = RecordConventionSigned(
        contact=contact(structure_id),
        convention_id=uuid.uuid4(),
        structure_id=structure_id,
        reference="CNUM-2024-TEST",
        signed_on=signed_on,
        end_date=end_date,
        posts=posts,
    )
    conventions.record_convention_signed(uow, command)  # type: ignore[arg-type]
    return command


def signed_contract(
    uow: FakeUnitOfWork,
    convention: RecordConventionSigned,
    *,
    signed_on: date,
    start_date: date,
    end_date: date | None,
) -> RecordContractSigned:
    command = RecordContractSigned(
        contact=contact(convention.structure_id, 2),
        contract_id=uuid.uuid4(),
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        advisor_id=uuid.uuid4(),
        start_date=start_date,
        end_date=end_date,
        signed_on=signed_on,
    )
    conventions.record_contract_signed(uow, command)  # type: ignore[arg-type]
    return command


def of_kind(uow: FakeUnitOfWork, kind: ObligationKind) -> list[Obligation]:
    return [o for o in uow.obligations.all() if o.kind == kind]
