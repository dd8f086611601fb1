"""Obligations: opened from the events of their legal date, moved by the scan, fulfilled or waived, and
the standing each structure publishes for payments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from cnum_shared import legal
from cnum_shared.dates import add_period
from cnum_shared.db import among, insert_rows, nogc, utcnow
from cnum_shared.events.outbox import emit_many
from compliance.adapters.orm import (
    ActivityReport,
    ContractCopy,
    Obligation,
    ObligationHistory,
    Standing,
    StructureContact,
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
) -> Obligation:
    """The obligation of this case, due by the parameter in force on its legal date; once per case."""
    key = f"{kind.value}:{subject}" + (f":{period.isoformat()}" if period else "")
    existing = session.scalar(select(Obligation).where(Obligation.natural_key == key))
    if existing is not None:
        return existing
    deadline = legal.deadline(kind.value, legal_date)
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
        due_on=deadline.due_on(legal_date),
        source=deadline.reference,
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
        obligation_id = uuid.uuid4()
        rows.append(
            {
                "id": obligation_id,
                "natural_key": key,
                "kind": kind,
                "structure_id": contract.structure_id,
                "convention_id": contract.convention_id,
                "contract_id": contract.contract_id,
                "candidate_id": None,
                "period": month,
                "status": status.value,
                "due_on": due_on,
                "source": source,
                "created_at": now,
                "updated_at": now,
            }
        )
        history.append(
            {
                "id": uuid.uuid4(),
                "obligation_id": obligation_id,
                "from_status": None,
                "to_status": status.value,
                "actor": SCAN,
                "reason": reason,
                "at": now,
            }
        )
    insert_rows(session, Obligation, rows)
    insert_rows(session, ObligationHistory, history)
    return len(rows)


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
    """The daily scan for `as_of`: monthly reporting obligations, then open → due soon → overdue."""
    created = activity_reporting_obligations(session, as_of)
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
