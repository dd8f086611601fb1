"""Obligations: opened from the events of their legal date, moved by the scan, fulfilled or waived, and
the standing each structure publishes for payments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from cnum_shared.core import legal
from cnum_shared.core.dates import add_period
from cnum_shared.framework.db import among, insert_rows, nogc, utcnow
from cnum_shared.framework.events.outbox import emit_many
from compliance.adapters.orm import (
    ActivityReport,
    ContractCopy,
    Obligation,
    ObligationHistory,
    Standing,
    StructureContact,
    TrainingExemption,
    TrainingRecord,
    event_tables,
)
from compliance.domain.obligations import (
    PENDING,
    ObligationEvent,
    ObligationKind,
    ObligationStatus,
    month_start,
    next_month,
    next_status,
)
from compliance.domain.training import ContinuingYear, YearToSettle, owed_years, settled_years

SCAN = "cnum (échéancier)"


def _history(
    session: Session, obligation_id: uuid.UUID, before: str | None, after: str, actor: str, reason: str
) -> None:
    session.add(
        ObligationHistory(
            id=uuid.uuid4(),
            obligation_id=obligation_id,
            from_status=before,
            to_status=after,
            actor=actor,
            reason=reason,
            at=utcnow(),
        )
    )


def open_obligation(
    session: Session,
    kind: ObligationKind,
    *,
    subject: uuid.UUID,
    structure_id: uuid.UUID,
    convention_id: uuid.UUID,
    legal_date: date,
    actor: str,
    reason: str,
    contract_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    period: date | None = None,
    key_suffix: str | None = None,
    due: legal.DueDate | None = None,
) -> Obligation:
    """The obligation of this case, due by the parameter in force on its legal date (or on `due`, for a
    rule other than a plain delay); once per case."""
    key = (
        f"{kind.value}:{subject}"
        + (f":{period.isoformat()}" if period else "")
        + (f":{key_suffix}" if key_suffix else "")
    )
    existing = session.scalar(select(Obligation).where(Obligation.natural_key == key))
    if existing is not None:
        return existing
    if due is None:
        deadline = legal.deadline(kind.value, legal_date)
        due = legal.DueDate(deadline.due_on(legal_date), deadline.reference)
    now = utcnow()
    obligation = Obligation(
        id=uuid.uuid4(),
        natural_key=key,
        kind=kind.value,
        structure_id=structure_id,
        convention_id=convention_id,
        contract_id=contract_id,
        candidate_id=candidate_id,
        period=period,
        status=ObligationStatus.OPEN.value,
        due_on=due.due_on,
        source=due.reference,
        escalation_requests=0,
        created_at=now,
        updated_at=now,
    )
    session.add(obligation)
    _history(session, obligation.id, None, obligation.status, actor, reason)
    session.flush()
    return obligation


def move(session: Session, obligation: Obligation, event: ObligationEvent, actor: str, reason: str) -> None:
    before = obligation.status
    obligation.status = next_status(ObligationStatus(before), event).value
    obligation.updated_at = utcnow()
    _history(session, obligation.id, before, obligation.status, actor, reason)


def settle(
    session: Session,
    criteria: Iterable[Any],
    event: ObligationEvent,
    actor: str,
    reason: str,
    *,
    first_only: bool = False,
) -> list[Obligation]:
    """Fulfil or waive the pending obligations that match (the oldest first)."""
    pending = [status.value for status in PENDING]
    found = list(
        session.scalars(
            select(Obligation)
            .where(Obligation.status.in_(pending), *criteria)
            .order_by(Obligation.created_at, Obligation.id)
        )
    )
    if first_only:
        found = found[:1]
    for obligation in found:
        move(session, obligation, event, actor, reason)
    return found


def activity_reporting_obligations(session: Session, as_of: date) -> int:
    """One obligation per month a contract was active, once the month is over (set up in bulk)."""
    kind = ObligationKind.ACTIVITY_REPORTING.value
    existing = set(session.scalars(select(Obligation.natural_key).where(Obligation.kind == kind)))
    # The months still without their obligation; on most days there are none.
    missing: list[tuple[Any, date, str]] = []
    contracts = session.execute(
        select(
            ContractCopy.contract_id,
            ContractCopy.structure_id,
            ContractCopy.convention_id,
            ContractCopy.start_date,
            ContractCopy.end_date,
            ContractCopy.ended_on,
        )
    )
    for contract in contracts:
        last_day = min(
            day for day in (contract.ended_on, contract.end_date, as_of - timedelta(days=1)) if day
        )
        prefix = f"{kind}:{contract.contract_id}:"
        month = month_start(contract.start_date)
        following = next_month(month)
        while following - timedelta(days=1) <= last_day:
            key = prefix + month.isoformat()
            if key not in existing:
                missing.append((contract, month, key))
            month, following = following, next_month(following)
    if not missing:
        return 0
    # Which contracts reported in those months only (on most days, just the month that ended): one
    # distinct contract per month, not every report of the programme's history.
    months = {month for _, month, _ in missing}
    reported = {
        (contract_id, month)
        for month in months
        for contract_id in session.scalars(
            select(ActivityReport.contract_id)
            .where(ActivityReport.date >= month, ActivityReport.date < next_month(month))
            .distinct()
        )
    }
    # The same due date, legal source and reason for every contract of a month.
    per_month: dict[date, tuple[date, str, str]] = {}
    for month in months:
        month_end = next_month(month) - timedelta(days=1)
        deadline = legal.deadline(kind, month_end)
        per_month[month] = (
            add_period(month_end, deadline.months, deadline.days),
            deadline.reference,
            f"mois d'activité {month.strftime('%m/%Y')}",
        )
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    now = utcnow()
    for contract, month, key in missing:
        due_on, source, reason = per_month[month]
        status = (
            ObligationStatus.FULFILLED if (contract.contract_id, month) in reported else ObligationStatus.OPEN
        )
        row = _scanned_obligation(kind, key, contract, month, status.value, due_on, source, now)
        rows.append(row)
        history.append(_opened_by_scan(row, reason, now))
    insert_rows(session, Obligation, rows)
    insert_rows(session, ObligationHistory, history)
    return len(rows)


def _scanned_obligation(
    kind: str,
    key: str,
    contract: ContractCopy,
    period: date,
    status: str,
    due_on: date,
    source: str,
    now: datetime,
) -> dict[str, Any]:
    """The row of an obligation the scan opens for a contract (a month's report, a year's module)."""
    return {
        "id": uuid.uuid4(),
        "natural_key": key,
        "kind": kind,
        "structure_id": contract.structure_id,
        "convention_id": contract.convention_id,
        "contract_id": contract.contract_id,
        "candidate_id": None,
        "advisor_id": None,
        "period": period,
        "status": status,
        "due_on": due_on,
        "source": source,
        "escalation_requests": 0,
        "created_at": now,
        "updated_at": now,
    }


def _opened_by_scan(row: dict[str, Any], reason: str, now: datetime) -> dict[str, Any]:
    """The first history row of an obligation the scan opened: its status, the scan, why."""
    return {
        "id": uuid.uuid4(),
        "obligation_id": row["id"],
        "from_status": None,
        "to_status": row["status"],
        "actor": SCAN,
        "reason": reason,
        "at": now,
    }


# --- Posts: each granted post is followed until a candidate is presented or a contract signed ---------


def _post_key(number: int) -> str:
    # Zero-padded so that the posts of one grant sort in their order (post 2 before post 10).
    return f"post-{number:03d}"


def open_posts(
    session: Session,
    *,
    grant_id: uuid.UUID,
    first: int,
    last: int,
    structure_id: uuid.UUID,
    convention_id: uuid.UUID,
    legal_date: date,
    actor: str,
    reason: str,
) -> None:
    """A candidate presentation for each post `first`..`last` that a convention or an avenant grants."""
    for number in range(first, last + 1):
        open_obligation(
            session,
            ObligationKind.CANDIDATE_PRESENTATION,
            subject=grant_id,
            key_suffix=_post_key(number),
            structure_id=structure_id,
            convention_id=convention_id,
            legal_date=legal_date,
            actor=actor,
            reason=f"{reason} (poste n° {number})",
        )


def _pending_posts(
    session: Session, convention_id: uuid.UUID, kinds: Sequence[ObligationKind], *, newest_first: bool = False
) -> list[Obligation]:
    order = [Obligation.due_on, Obligation.created_at, Obligation.natural_key]
    return list(
        session.scalars(
            select(Obligation)
            .where(
                Obligation.convention_id == convention_id,
                Obligation.kind.in_([kind.value for kind in kinds]),
                Obligation.status.in_([status.value for status in PENDING]),
            )
            .order_by(*(column.desc() for column in order) if newest_first else order)
        )
    )


def _presentations_of(session: Session, convention_id: uuid.UUID, advisor_id: uuid.UUID) -> int:
    """How many posts of the convention this advisor's presentations or contracts have counted for."""
    return (
        session.scalar(
            select(func.count()).where(
                Obligation.convention_id == convention_id,
                Obligation.kind == ObligationKind.CANDIDATE_PRESENTATION.value,
                Obligation.advisor_id == advisor_id,
            )
        )
        or 0
    )


def _count_post(
    session: Session, obligation: Obligation, advisor_id: uuid.UUID, actor: str, reason: str
) -> None:
    move(session, obligation, ObligationEvent.FULFIL, actor, reason)
    if obligation.kind == ObligationKind.CANDIDATE_PRESENTATION.value:
        obligation.advisor_id = advisor_id


def candidate_presented_on_post(
    session: Session, convention_id: uuid.UUID, advisor_id: uuid.UUID, actor: str, reason: str
) -> None:
    """A presentation settles the first post still waiting for one; an advisor counts once per
    convention (presented twice, or presented then hired, is still one post)."""
    if _presentations_of(session, convention_id, advisor_id):
        return
    waiting = _pending_posts(session, convention_id, [ObligationKind.CANDIDATE_PRESENTATION])
    if waiting:
        _count_post(session, waiting[0], advisor_id, actor, reason)


def contract_fills_post(
    session: Session,
    convention_id: uuid.UUID,
    contract_id: uuid.UUID,
    advisor_id: uuid.UUID,
    actor: str,
    reason: str,
) -> None:
    """A contract fills one post: the one its advisor's presentation already counted for, or else the
    post waiting longest among those never filled (no presentation yet) and those vacated (to refill)."""
    earlier_contracts = (
        session.scalar(
            select(func.count()).where(
                ContractCopy.convention_id == convention_id,
                ContractCopy.advisor_id == advisor_id,
                ContractCopy.contract_id != contract_id,
            )
        )
        or 0
    )
    if _presentations_of(session, convention_id, advisor_id) > earlier_contracts:
        return  # the presented advisor is hired: that post was counted at the presentation
    waiting = _pending_posts(
        session, convention_id, [ObligationKind.CANDIDATE_PRESENTATION, ObligationKind.POST_REFILL]
    )
    if waiting:
        _count_post(session, waiting[0], advisor_id, actor, reason)


def give_back_posts(session: Session, convention_id: uuid.UUID, count: int, actor: str, reason: str) -> int:
    """An avenant takes `count` posts back: the posts still waiting for a first candidate are lifted
    first (the latest granted first), then vacated posts waiting for a replacement."""
    lifted = 0
    for kind in (ObligationKind.CANDIDATE_PRESENTATION, ObligationKind.POST_REFILL):
        for obligation in _pending_posts(session, convention_id, [kind], newest_first=True):
            if lifted == count:
                return lifted
            move(session, obligation, ObligationEvent.WAIVE, actor, reason)
            lifted += 1
    return lifted


# --- Continuing training: one thematic module per calendar year (FAQ 167v0qe) --------------------------


def _thematic_year_end(entered_on: date) -> date:
    """The end of the year of the two thematic modules that follows the entry into initial training."""
    return legal.deadline(ObligationKind.THEMATIC_MODULES.value, entered_on).due_on(entered_on)


def _first_continuing_day(entered_on: date | None, contract_start: date) -> date:
    """Continuing training begins the day after the thematic-modules year, or at the contract's start
    for an advisor exempted from initial training (who never enters it)."""
    if entered_on is not None:
        return _thematic_year_end(entered_on) + timedelta(days=1)
    return contract_start


def _settle_years(obligations: Sequence[Any], modules: Sequence[date]) -> dict[Any, date]:
    """Which of these continuing-training obligations (not waived) the modules settle, by id."""
    return settled_years(
        [YearToSettle(row.id, row.period, row.due_on) for row in obligations if row.status != "waived"],
        modules,
    )


def continuing_training_obligations(session: Session, as_of: date) -> int:
    """The calendar years each advisor in continuing training owes a module, set up in bulk once begun."""
    kind = ObligationKind.CONTINUING_TRAINING.value
    entries = dict(
        session.execute(
            select(TrainingRecord.contract_id, func.min(TrainingRecord.date))
            .where(TrainingRecord.kind == "training_entry")
            .group_by(TrainingRecord.contract_id)
        ).all()
    )
    exempted = set(session.scalars(select(TrainingExemption.contract_id)))
    concerned = set(entries) | exempted
    if not concerned:
        return 0
    existing = set(session.scalars(select(Obligation.natural_key).where(Obligation.kind == kind)))
    deadlines: dict[int, legal.DueDate | None] = {}

    def deadline_of(year: int) -> legal.DueDate | None:
        if year not in deadlines:
            deadlines[year] = legal.continuing_training_deadline(year)
        return deadlines[year]

    missing: list[tuple[Any, ContinuingYear, str]] = []
    for contract in session.execute(
        select(
            ContractCopy.contract_id,
            ContractCopy.structure_id,
            ContractCopy.convention_id,
            ContractCopy.start_date,
            ContractCopy.end_date,
            ContractCopy.ended_on,
        ).where(among(session, ContractCopy.contract_id, concerned))
    ):
        years = owed_years(
            first_starts_on=_first_continuing_day(entries.get(contract.contract_id), contract.start_date),
            last_day=contract.ended_on or contract.end_date,
            as_of=as_of,
            deadline_of=deadline_of,
        )
        for year in years:
            key = f"{kind}:{contract.contract_id}:{year.period.isoformat()}"
            if key not in existing:
                missing.append((contract, year, key))
    if not missing:
        return 0
    # A module already followed settles its year at once (each module for one year only, the years
    # already set up included).
    contract_ids = {contract.contract_id for contract, _, _ in missing}
    modules: dict[Any, list[date]] = {}
    for contract_id, day in session.execute(
        select(TrainingRecord.contract_id, TrainingRecord.date).where(
            TrainingRecord.kind == "module", among(session, TrainingRecord.contract_id, contract_ids)
        )
    ):
        modules.setdefault(contract_id, []).append(day)
    years_of: dict[Any, list[Any]] = {}
    for known in session.execute(
        select(
            Obligation.id, Obligation.contract_id, Obligation.period, Obligation.due_on, Obligation.status
        ).where(Obligation.kind == kind, among(session, Obligation.contract_id, contract_ids))
    ):
        years_of.setdefault(known.contract_id, []).append(known)
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    now = utcnow()
    for contract, year, key in missing:
        row = _scanned_obligation(
            kind, key, contract, year.period, ObligationStatus.OPEN.value, year.due_on, year.source, now
        )
        years_of.setdefault(contract.contract_id, []).append(
            _NewYear(row["id"], year.period, year.due_on, ObligationStatus.OPEN.value)
        )
        rows.append(row)
    settled: dict[Any, date] = {}
    for contract_id in contract_ids:
        settled.update(_settle_years(years_of.get(contract_id, []), modules.get(contract_id, [])))
    for row in rows:
        module = settled.get(row["id"])
        if module is not None:
            row["status"] = ObligationStatus.FULFILLED.value
        history.append(
            _opened_by_scan(
                row,
                f"formation continue {row['period'].year}"
                + (f" : module thématique suivi le {module.isoformat()}" if module else ""),
                now,
            )
        )
    insert_rows(session, Obligation, rows)
    insert_rows(session, ObligationHistory, history)
    return len(rows)


@dataclass(frozen=True)
class _NewYear:
    id: uuid.UUID
    period: date
    due_on: date
    status: str


def settle_continuing_training(session: Session, contract_id: uuid.UUID, actor: str) -> None:
    """After a module is recorded: the pending years of the contract that a module now settles."""
    obligations = session.scalars(
        select(Obligation).where(
            Obligation.contract_id == contract_id,
            Obligation.kind == ObligationKind.CONTINUING_TRAINING.value,
        )
    ).all()
    if not obligations:
        return
    modules = session.scalars(
        select(TrainingRecord.date).where(
            TrainingRecord.contract_id == contract_id, TrainingRecord.kind == "module"
        )
    ).all()
    settled = _settle_years(obligations, modules)
    for obligation in obligations:
        module = settled.get(obligation.id)
        if module is not None and ObligationStatus(obligation.status) in PENDING:
            move(
                session,
                obligation,
                ObligationEvent.FULFIL,
                actor,
                f"module thématique suivi le {module.isoformat()}",
            )


def _move_in_bulk(session: Session, condition: Any, to: ObligationStatus, reason: str) -> int:
    """Change every obligation matching `condition` to `to`, with its history rows, in two statements."""
    now = utcnow()
    moving = session.execute(select(Obligation.id, Obligation.status).where(condition)).all()
    if not moving:
        return 0
    insert_rows(
        session,
        ObligationHistory,
        [
            {
                "id": uuid.uuid4(),
                "obligation_id": obligation_id,
                "from_status": status,
                "to_status": to.value,
                "actor": SCAN,
                "reason": reason,
                "at": now,
            }
            for obligation_id, status in moving
        ],
    )
    session.execute(
        update(Obligation)
        .where(among(session, Obligation.id, [row[0] for row in moving]))
        .values(status=to.value, updated_at=now)
    )
    return len(moving)


@nogc
def scan(session: Session, as_of: date) -> dict[str, int]:
    """The daily scan for `as_of`: monthly reporting and yearly continuing-training obligations, then
    open → due soon → overdue."""
    created = activity_reporting_obligations(session, as_of)
    created += continuing_training_obligations(session, as_of)
    window = legal.due_soon_window_days(as_of)
    overdue = _move_in_bulk(
        session,
        and_(Obligation.status.in_(("open", "due_soon")), Obligation.due_on < as_of),
        ObligationStatus.OVERDUE,
        f"échéance dépassée au {as_of.isoformat()}",
    )
    due_soon = _move_in_bulk(
        session,
        and_(Obligation.status == "open", Obligation.due_on <= as_of + timedelta(days=window)),
        ObligationStatus.DUE_SOON,
        f"échéance dans {window} jours au plus",
    )
    published = publish_standings(session, as_of)
    return {"created": created, "due_soon": due_soon, "overdue": overdue, "standings": published}


def overdue_of(session: Session, structure_id: uuid.UUID) -> Sequence[Obligation]:
    return session.scalars(
        select(Obligation)
        .where(Obligation.structure_id == structure_id, Obligation.status == ObligationStatus.OVERDUE.value)
        .order_by(Obligation.due_on, Obligation.id)
    ).all()


def publish_standings(session: Session, as_of: date, structure_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Emit `structure.standing_changed` for each structure whose set of overdue obligations changed
    (or was never published)."""
    if structure_ids is None:
        # The daily scan: every structure, so no filter, and one query for all their standings rather
        # than a lookup per structure.
        wanted = list(session.scalars(select(StructureContact.structure_id)))
        of_obligations: list[Any] = []
        of_standings: list[Any] = []
    else:
        wanted = list(structure_ids)
        of_obligations = [among(session, Obligation.structure_id, wanted)]
        of_standings = [among(session, Standing.structure_id, wanted)]
    overdue_rows = session.execute(
        select(Obligation.structure_id, Obligation.id, Obligation.kind, Obligation.due_on).where(
            Obligation.status == ObligationStatus.OVERDUE.value, *of_obligations
        )
    ).all()
    by_structure: dict[uuid.UUID, list[Any]] = {structure_id: [] for structure_id in wanted}
    for row in overdue_rows:
        if row.structure_id in by_structure:
            by_structure[row.structure_id].append(row)
    standings = {
        standing.structure_id: standing for standing in session.scalars(select(Standing).where(*of_standings))
    }
    changes: list[dict[str, Any]] = []
    for structure_id, rows in by_structure.items():
        ids = sorted(str(row.id) for row in rows)
        standing = standings.get(structure_id)
        if standing is not None and standing.overdue_ids == ids:
            continue
        if standing is None:
            standing = Standing(structure_id=structure_id)
            session.add(standing)
        standing.blocking, standing.overdue_ids, standing.as_of, standing.published_at = (
            bool(ids),
            ids,
            as_of,
            utcnow(),
        )
        changes.append(
            {
                "structure_id": structure_id,
                "blocking": bool(ids),
                "overdue": [
                    {"obligation_id": row.id, "kind": row.kind, "due_on": row.due_on}
                    for row in sorted(rows, key=lambda row: (row.due_on, str(row.id)))
                ],
                "as_of": as_of,
            }
        )
    emit_many(
        session, event_tables, producer="compliance", event_type="structure.standing_changed", items=changes
    )
    return len(changes)
