"""The SQL of the compliance service: one repository per aggregate, used by the unit of work.

Use cases and read models reach the tables only through these (the unit tests give in-memory fakes with
the same methods, tests/unit/fakes.py). The bulk paths of the scan (tens of thousands of rows the first
time) stay here as plain rows: `insert_rows` and one UPDATE for many obligations.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import among, insert_rows
from cnum_shared.framework.status_history import SqlTransitionLog
from compliance.adapters.orm import (
    ActivityReport,
    Alert,
    AlertItem,
    ContractCopy,
    ConventionCopy,
    Evidence,
    FinalStatement,
    Obligation,
    ObligationHistory,
    RecoveryOrder,
    Standing,
    StructureContact,
    TrainingExemption,
    TrainingRecord,
    status_changes_table,
)
from compliance.domain.alerts import AlertKind, AlertStatus
from compliance.domain.errors import ConcurrentWrite
from compliance.domain.obligations import OBLIGATIONS, PENDING, ObligationKind, ObligationStatus

_PENDING = [status.value for status in PENDING]


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


class StructureRepository(_Repository):
    def get(self, structure_id: uuid.UUID) -> StructureContact | None:
        return self.session.get(StructureContact, structure_id)

    def add(self, contact: StructureContact) -> None:
        self.session.add(contact)
        self.session.flush()

    def ids(self) -> list[uuid.UUID]:
        return list(self.session.scalars(select(StructureContact.structure_id)))


class ConventionRepository(_Repository):
    def get(self, convention_id: uuid.UUID) -> ConventionCopy | None:
        return self.session.get(ConventionCopy, convention_id)

    def add(self, convention: ConventionCopy) -> None:
        self.session.add(convention)
        self.session.flush()


class ContractRepository(_Repository):
    def get(self, contract_id: uuid.UUID) -> ContractCopy | None:
        return self.session.get(ContractCopy, contract_id)

    def add(self, contract: ContractCopy) -> None:
        self.session.add(contract)
        self.session.flush()

    def count_of_advisor(self, convention_id: uuid.UUID, advisor_id: uuid.UUID, *, besides: uuid.UUID) -> int:
        """How many other contracts of the convention this advisor signed."""
        return (
            self.session.scalar(
                select(func.count()).where(
                    ContractCopy.convention_id == convention_id,
                    ContractCopy.advisor_id == advisor_id,
                    ContractCopy.contract_id != besides,
                )
            )
            or 0
        )

    def rows(self, contract_ids: Collection[uuid.UUID] | None = None) -> Sequence[Any]:
        """Every contract (or those named) as plain rows, for the scan: ids, start and ends."""
        statement = select(
            ContractCopy.contract_id,
            ContractCopy.structure_id,
            ContractCopy.convention_id,
            ContractCopy.start_date,
            ContractCopy.end_date,
            ContractCopy.ended_on,
        )
        if contract_ids is not None:
            statement = statement.where(among(self.session, ContractCopy.contract_id, contract_ids))
        return self.session.execute(statement).all()

    def among(
        self, contract_ids: Collection[uuid.UUID], structure_id: uuid.UUID | None = None
    ) -> list[ContractCopy]:
        """The contracts named (those of `structure_id` only, when given)."""
        if not contract_ids:
            return []
        statement = select(ContractCopy).where(among(self.session, ContractCopy.contract_id, contract_ids))
        if structure_id is not None:
            statement = statement.where(ContractCopy.structure_id == structure_id)
        return list(self.session.scalars(statement))


class ObligationRepository(_Repository):
    def get(self, obligation_id: uuid.UUID) -> Obligation | None:
        return self.session.get(Obligation, obligation_id)

    def with_key(self, natural_key: str) -> Obligation | None:
        return self.session.scalar(select(Obligation).where(Obligation.natural_key == natural_key))

    def add(self, obligation: Obligation) -> None:
        self.session.add(obligation)

    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Many new obligations at once, as plain rows (the scan)."""
        insert_rows(self.session, Obligation, rows)

    def pending(
        self,
        *,
        contract_id: uuid.UUID | None = None,
        convention_id: uuid.UUID | None = None,
        candidate_id: uuid.UUID | None = None,
        kinds: Iterable[ObligationKind] | None = None,
        period: date | None = None,
    ) -> list[Obligation]:
        """The pending obligations that match every criterion given, the oldest first."""
        statement = select(Obligation).where(Obligation.status.in_(_PENDING))
        for column, value in (
            (Obligation.contract_id, contract_id),
            (Obligation.convention_id, convention_id),
            (Obligation.candidate_id, candidate_id),
            (Obligation.period, period),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if kinds is not None:
            statement = statement.where(Obligation.kind.in_([kind.value for kind in kinds]))
        return list(self.session.scalars(statement.order_by(Obligation.created_at, Obligation.id)))

    def pending_posts(
        self, convention_id: uuid.UUID, kinds: Iterable[ObligationKind], *, newest_first: bool = False
    ) -> list[Obligation]:
        """The pending post obligations of a convention, by due date (the latest first if asked)."""
        order = [Obligation.due_on, Obligation.created_at, Obligation.natural_key]
        return list(
            self.session.scalars(
                select(Obligation)
                .where(
                    Obligation.convention_id == convention_id,
                    Obligation.kind.in_([kind.value for kind in kinds]),
                    Obligation.status.in_(_PENDING),
                )
                .order_by(*(column.desc() for column in order) if newest_first else order)
            )
        )

    def count_presentations(self, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> int:
        """How many posts of the convention this advisor's presentations or contracts counted for."""
        return (
            self.session.scalar(
                select(func.count()).where(
                    Obligation.convention_id == convention_id,
                    Obligation.kind == ObligationKind.CANDIDATE_PRESENTATION.value,
                    Obligation.advisor_id == advisor_id,
                )
            )
            or 0
        )

    def of_contract(self, contract_id: uuid.UUID, kind: ObligationKind) -> list[Obligation]:
        return list(
            self.session.scalars(
                select(Obligation).where(Obligation.contract_id == contract_id, Obligation.kind == kind.value)
            )
        )

    def keys_of_kind(self, kind: ObligationKind) -> set[str]:
        return set(self.session.scalars(select(Obligation.natural_key).where(Obligation.kind == kind.value)))

    def years_of(self, kind: ObligationKind, contract_ids: Collection[uuid.UUID]) -> Sequence[Any]:
        """(id, contract_id, period, due_on, status) of the obligations of `kind` of these contracts."""
        return self.session.execute(
            select(
                Obligation.id, Obligation.contract_id, Obligation.period, Obligation.due_on, Obligation.status
            ).where(Obligation.kind == kind.value, among(self.session, Obligation.contract_id, contract_ids))
        ).all()

    def to_move(
        self,
        statuses: Iterable[ObligationStatus],
        *,
        due_before: date | None = None,
        due_by: date | None = None,
    ) -> list[tuple[uuid.UUID, ObligationStatus]]:
        """(id, status) of the obligations in `statuses` due before a day, or by a day (included)."""
        statement = select(Obligation.id, Obligation.status).where(
            Obligation.status.in_([status.value for status in statuses])
        )
        if due_before is not None:
            statement = statement.where(Obligation.due_on < due_before)
        if due_by is not None:
            statement = statement.where(Obligation.due_on <= due_by)
        return [(row[0], row[1]) for row in self.session.execute(statement)]

    def set_status(self, obligation_ids: Sequence[uuid.UUID], status: ObligationStatus, at: datetime) -> None:
        """Many obligations to one status in one statement (their history is the log's)."""
        self.session.execute(
            update(Obligation)
            .where(among(self.session, Obligation.id, obligation_ids))
            .values(status=status.value, updated_at=at)
        )

    def overdue(self, structure_ids: Collection[uuid.UUID] | None = None) -> Sequence[Any]:
        """(structure_id, id, kind, due_on) of the overdue obligations (of these structures, if given)."""
        statement = select(Obligation.structure_id, Obligation.id, Obligation.kind, Obligation.due_on).where(
            Obligation.status == ObligationStatus.OVERDUE.value
        )
        if structure_ids is not None:
            statement = statement.where(among(self.session, Obligation.structure_id, structure_ids))
        return self.session.execute(statement).all()

    def overdue_of(self, structure_id: uuid.UUID) -> list[Obligation]:
        return list(
            self.session.scalars(
                select(Obligation)
                .where(
                    Obligation.structure_id == structure_id,
                    Obligation.status == ObligationStatus.OVERDUE.value,
                )
                .order_by(Obligation.due_on)
            )
        )

    def to_alert(self) -> list[tuple[Obligation, date | None]]:
        """Due soon and overdue obligations, activity reports (the reminders come before their due date)
        and any pending obligation an officer escalated, each with its contract's start."""
        rows = self.session.execute(
            select(Obligation, ContractCopy.start_date)
            .outerjoin(ContractCopy, ContractCopy.contract_id == Obligation.contract_id)
            .where(
                Obligation.status.in_(_PENDING),
                or_(
                    Obligation.status.in_((ObligationStatus.DUE_SOON.value, ObligationStatus.OVERDUE.value)),
                    Obligation.kind == ObligationKind.ACTIVITY_REPORTING.value,
                    Obligation.escalation_requests > 0,
                ),
            )
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
        return [(obligation, start) for obligation, start in rows]

    def page(
        self,
        *,
        structure_id: uuid.UUID | None,
        status: str | None,
        kind: str | None,
        due_before: date | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Obligation]]:
        """A page of obligations, overdue first then by due date, and how many match in all."""
        statement = select(Obligation)
        for column, value in (
            (Obligation.structure_id, structure_id),
            (Obligation.status, status),
            (Obligation.kind, kind),
        ):
            if value:
                statement = statement.where(column == value)
        if due_before:
            statement = statement.where(Obligation.due_on <= due_before)
        overdue_first = (Obligation.status != ObligationStatus.OVERDUE.value).label("not_overdue")
        total = self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        page = self.session.scalars(
            statement.order_by(overdue_first, Obligation.due_on, Obligation.id).offset(offset).limit(limit)
        ).all()
        return total, list(page)

    def count_by_kind(self, status: str) -> list[tuple[str, int, int]]:
        """(kind, obligations, structures) of the obligations in `status`, counted in the database (the
        dashboard, decision 0043)."""
        rows = self.session.execute(
            select(Obligation.kind, func.count(), func.count(func.distinct(Obligation.structure_id)))
            .where(Obligation.status == status)
            .group_by(Obligation.kind)
        ).all()
        return [(str(kind), int(count), int(structures)) for kind, count, structures in rows]

    def count_structures(self, status: str) -> int:
        """How many structures have an obligation in `status`."""
        return int(
            self.session.scalar(
                select(func.count(func.distinct(Obligation.structure_id))).where(Obligation.status == status)
            )
            or 0
        )

    def history(self, obligation_id: uuid.UUID) -> list[ObligationHistory]:
        return list(
            self.session.scalars(
                select(ObligationHistory)
                .where(ObligationHistory.obligation_id == obligation_id)
                .order_by(ObligationHistory.at, ObligationHistory.id)
            )
        )


class EvidenceRepository(_Repository):
    def last_revision(self, obligation_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.max(Evidence.revision)).where(Evidence.obligation_id == obligation_id)
            )
            or 0
        )

    def add(self, evidence: Evidence) -> None:
        self.session.add(evidence)

    def of_obligation(self, obligation_id: uuid.UUID) -> list[Evidence]:
        return list(
            self.session.scalars(
                select(Evidence)
                .where(Evidence.obligation_id == obligation_id)
                .order_by(Evidence.revision.desc())
            )
        )


class TrainingRepository(_Repository):
    def add(self, record: TrainingRecord) -> None:
        self.session.add(record)
        self.session.flush()

    def kinds_of(self, contract_id: uuid.UUID) -> set[str]:
        return set(
            self.session.scalars(select(TrainingRecord.kind).where(TrainingRecord.contract_id == contract_id))
        )

    def modules_of(self, contract_id: uuid.UUID) -> list[date]:
        return list(
            self.session.scalars(
                select(TrainingRecord.date).where(
                    TrainingRecord.contract_id == contract_id, TrainingRecord.kind == "module"
                )
            )
        )

    def modules_among(self, contract_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[date]]:
        modules: dict[uuid.UUID, list[date]] = {}
        for contract_id, day in self.session.execute(
            select(TrainingRecord.contract_id, TrainingRecord.date).where(
                TrainingRecord.kind == "module", among(self.session, TrainingRecord.contract_id, contract_ids)
            )
        ):
            modules.setdefault(contract_id, []).append(day)
        return modules

    def entries(self) -> dict[uuid.UUID, date]:
        """The first day of initial training of each contract that entered it."""
        rows = self.session.execute(
            select(TrainingRecord.contract_id, func.min(TrainingRecord.date))
            .where(TrainingRecord.kind == "training_entry")
            .group_by(TrainingRecord.contract_id)
        )
        return {row[0]: row[1] for row in rows}


class ExemptionRepository(_Repository):
    def of_contract(self, contract_id: uuid.UUID) -> TrainingExemption | None:
        return self.session.scalar(
            select(TrainingExemption).where(TrainingExemption.contract_id == contract_id)
        )

    def add(self, exemption: TrainingExemption) -> None:
        self.session.add(exemption)
        self.session.flush()

    def contract_ids(self) -> set[uuid.UUID]:
        return set(self.session.scalars(select(TrainingExemption.contract_id)))


class ActivityReportRepository(_Repository):
    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        try:
            self.session.execute(insert(ActivityReport), list(rows))
        except IntegrityError:  # another import stored some of these at the same moment
            raise ConcurrentWrite() from None

    def known(self, external_ids: Collection[str]) -> set[tuple[uuid.UUID, str]]:
        """(structure_id, external_id) of the reports already kept with one of these external ids."""
        return {
            (row[0], row[1])
            for row in self.session.execute(
                select(ActivityReport.structure_id, ActivityReport.external_id).where(
                    among(self.session, ActivityReport.external_id, external_ids)
                )
            )
        }

    def contracts_reporting_in(self, month: date, following: date) -> set[uuid.UUID]:
        """The contracts with a report dated in [month, following)."""
        return set(
            self.session.scalars(
                select(ActivityReport.contract_id)
                .where(ActivityReport.date >= month, ActivityReport.date < following)
                .distinct()
            )
        )


class StandingRepository(_Repository):
    def get(self, structure_id: uuid.UUID) -> Standing | None:
        return self.session.get(Standing, structure_id)

    def of(self, structure_ids: Collection[uuid.UUID] | None = None) -> dict[uuid.UUID, Standing]:
        statement = select(Standing)
        if structure_ids is not None:
            statement = statement.where(among(self.session, Standing.structure_id, structure_ids))
        return {standing.structure_id: standing for standing in self.session.scalars(statement)}

    def add(self, standing: Standing) -> None:
        self.session.add(standing)


class AlertRepository(_Repository):
    def get(self, alert_id: uuid.UUID) -> Alert | None:
        return self.session.get(Alert, alert_id)

    def add(self, alert: Alert, items: Sequence[AlertItem]) -> None:
        self.session.add(alert)
        try:
            self.session.flush()
        except IntegrityError:  # another run made this structure's digest of the day first
            raise ConcurrentWrite() from None
        self.session.add_all(items)

    def told(self) -> set[tuple[uuid.UUID, str, int]]:
        """Every (obligation, step, officer_request) an alert already told."""
        return {
            (row[0], row[1], row[2])
            for row in self.session.execute(
                select(AlertItem.obligation_id, AlertItem.step, AlertItem.officer_request)
            )
        }

    def officer_requests_told(self) -> dict[uuid.UUID, int]:
        """The last officer's escalation told, by obligation."""
        rows = self.session.execute(
            select(AlertItem.obligation_id, func.max(AlertItem.officer_request))
            .where(AlertItem.officer_request > 0)
            .group_by(AlertItem.obligation_id)
        )
        return {row[0]: row[1] for row in rows}

    def with_key(self, key: str) -> Alert | None:
        return self.session.scalars(select(Alert).where(Alert.key == key)).one_or_none()

    def add_order(self, order: RecoveryOrder) -> None:
        self.session.add(order)

    def order_of(self, alert_id: uuid.UUID) -> RecoveryOrder | None:
        statement = select(RecoveryOrder).where(RecoveryOrder.alert_id == alert_id)
        return self.session.scalars(statement).one_or_none()

    def orders_of(self, alert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, RecoveryOrder]:
        """The recovery orders of these alerts, by alert."""
        found = self.session.scalars(select(RecoveryOrder).where(RecoveryOrder.alert_id.in_(list(alert_ids))))
        return {order.alert_id: order for order in found}

    def add_statement(self, statement: FinalStatement) -> None:
        self.session.add(statement)

    def statement_of(self, alert_id: uuid.UUID) -> FinalStatement | None:
        statement = select(FinalStatement).where(FinalStatement.alert_id == alert_id)
        return self.session.scalars(statement).one_or_none()

    def statements_of(self, alert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, FinalStatement]:
        """The final statements of these alerts, by alert."""
        found = self.session.scalars(
            select(FinalStatement).where(FinalStatement.alert_id.in_(list(alert_ids)))
        )
        return {statement.alert_id: statement for statement in found}

    def structures_told_on(self, digest_date: date) -> set[uuid.UUID]:
        """The structures that have their digest of the day (an order of a recovery is not one)."""
        return set(
            self.session.scalars(
                select(Alert.structure_id).where(
                    Alert.digest_date == digest_date, Alert.kind == AlertKind.DIGEST.value
                )
            )
        )

    def pending(self) -> list[Alert]:
        return list(
            self.session.scalars(
                select(Alert).where(Alert.status == AlertStatus.PENDING.value).order_by(Alert.created_at)
            )
        )

    def told_in(self, alert_id: uuid.UUID) -> list[tuple[Obligation, str, int, date | None]]:
        """What an alert tells: each (obligation, step, officer_request, contract start)."""
        rows = self.session.execute(
            select(Obligation, AlertItem.step, AlertItem.officer_request, ContractCopy.start_date)
            .join(AlertItem, AlertItem.obligation_id == Obligation.id)
            .outerjoin(ContractCopy, ContractCopy.contract_id == Obligation.contract_id)
            .where(AlertItem.alert_id == alert_id)
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
        return [(obligation, step, officer, start) for obligation, step, officer, start in rows]

    def page(self, structure_id: uuid.UUID | None, offset: int, limit: int) -> tuple[int, list[Alert]]:
        """A page of alerts, the latest digest first, and how many in all (of one structure, if given)."""
        mine = [Alert.structure_id == structure_id] if structure_id is not None else []
        total = self.session.scalar(select(func.count()).select_from(Alert).where(*mine)) or 0
        alerts = self.session.scalars(
            select(Alert)
            .where(*mine)
            .order_by(Alert.digest_date.desc(), Alert.created_at.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return total, list(alerts)

    def items_of(self, alert_ids: Collection[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
        """(alert_id, obligation_id, step, officer_request) of these alerts' items."""
        rows = self.session.execute(
            select(
                AlertItem.alert_id, AlertItem.obligation_id, AlertItem.step, AlertItem.officer_request
            ).where(AlertItem.alert_id.in_(list(alert_ids)))
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]


class HistoryLog:
    """The unit of work's TransitionLog: an obligation's changes go to `obligation_history` (read by its
    API), every other machine's (the alerts') to `status_changes`."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._others = SqlTransitionLog(session, status_changes_table)

    def record(self, transition: Transition) -> None:
        if transition.machine == OBLIGATIONS.name:
            self._session.add(_history_row(transition))
        else:
            self._others.record(transition)

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Many obligations' transitions in one statement (the scan)."""
        obligations = [t for t in transitions if t.machine == OBLIGATIONS.name]
        insert_rows(
            self._session,
            ObligationHistory,
            [
                {
                    "id": uuid.uuid4(),
                    "obligation_id": t.entity_id,
                    "from_status": t.from_status,
                    "to_status": t.to_status,
                    "actor": t.actor,
                    "reason": t.reason,
                    "at": t.at,
                }
                for t in obligations
            ],
        )
        for transition in transitions:
            if transition.machine != OBLIGATIONS.name:
                self._others.record(transition)


def _history_row(transition: Transition) -> ObligationHistory:
    return ObligationHistory(
        id=uuid.uuid4(),
        obligation_id=transition.entity_id,
        from_status=transition.from_status,
        to_status=transition.to_status,
        actor=transition.actor,
        reason=transition.reason,
        at=transition.at,
    )
