"""`make bench`, the compliance scan: the daily job over a whole programme of posts, against the naive way
of doing the same work (the ORM, one row and one commit at a time), on identical copies of one database.

    .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); import scan; print(scan.bench_scan())"

The database is seeded once (not timed) with what the event handlers of the compliance service would have
written for `posts` signed contracts: structures, conventions and contracts, their obligations with their
history, the standings published at signature and months of activity reports. Two scenarios are timed:
the first scan after several months without one, then a quiet scan the next day.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common import Databases, Result, judged_on_postgresql, timed

#: The seeded programme: conventions signed on that day, contracts signed over the following weeks.
SIGNED_ON = date(2024, 9, 2)  # renewals signed before the 2025 freeze (DESIGN §3)
CONVENTION_END = date(2027, 9, 1)
FIRST_CONTRACT = date(2024, 9, 2)
#: The first scan after months without one, then the quiet next day.
FIRST_SCAN = date(2026, 3, 2)
NEXT_DAY = FIRST_SCAN + timedelta(days=1)
#: One contract in twenty ended early (its post to refill); activity reports per month a contract reported.
ENDED_ON = date(2026, 1, 15)
REPORTS_PER_MONTH = 3


@functools.cache
def _deadline(kind: str, on: date) -> tuple[date, str]:
    """The due date and legal source of an obligation opened on `on` (as `open_obligation` computes them)."""
    from cnum_shared.core import legal
    from cnum_shared.core.parameters import parameters

    deadline = legal.deadline(kind, on, tree=parameters())
    return deadline.due_on(on), deadline.reference


def _seed(url: str, posts: int) -> None:
    """What the event handlers would have written for `posts` contracts (two per structure), in bulk."""
    from sqlalchemy import insert

    from cnum_shared.framework.db import Database
    from compliance.adapters.orm import (
        ActivityReport,
        ContractCopy,
        ConventionCopy,
        Obligation,
        ObligationHistory,
        Standing,
        StructureContact,
    )
    from compliance.domain.obligations import ObligationKind, ObligationStatus, month_start, next_month

    now = datetime.now(UTC)
    structures: list[dict[str, Any]] = []
    conventions: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    standings: list[dict[str, Any]] = []

    def obligation(
        kind: ObligationKind,
        subject: uuid.UUID,
        legal_date: date,
        contract: dict[str, Any] | None,
        convention: dict[str, Any],
        status: ObligationStatus = ObligationStatus.OPEN,
        candidate_id: uuid.UUID | None = None,
    ) -> None:
        due_on, source = _deadline(kind.value, legal_date)
        obligation_id = uuid.uuid4()
        obligations.append(
            {
                "id": obligation_id,
                "natural_key": f"{kind.value}:{subject}",
                "kind": kind.value,
                "structure_id": convention["structure_id"],
                "convention_id": convention["convention_id"],
                "contract_id": contract["contract_id"] if contract else None,
                "candidate_id": candidate_id,
                "period": None,
                "status": status.value,
                "due_on": due_on,
                "source": source,
                "created_at": now,
                "updated_at": now,
            }
        )
        steps = [(None, "open")] + ([("open", status.value)] if status is not ObligationStatus.OPEN else [])
        for before, after in steps:
            history.append(
                {
                    "id": uuid.uuid4(),
                    "obligation_id": obligation_id,
                    "from_status": before,
                    "to_status": after,
                    "actor": "conventions",
                    "reason": "amorçage du banc d'essai",
                    "at": now,
                }
            )

    fulfilled, waived = ObligationStatus.FULFILLED, ObligationStatus.WAIVED
    for number in range(posts // 2):
        structure_id, convention_id = uuid.uuid4(), uuid.uuid4()
        structures.append(
            {
                "structure_id": structure_id,
                "name": f"Structure {number}",
                "email": f"s{number}@example.org",
                "last_event_at": now,
            }
        )
        convention = {
            "convention_id": convention_id,
            "structure_id": structure_id,
            "reference": f"CNUM-2025-{number:05d}",
            "end_date": CONVENTION_END,
            "status": "active",
        }
        conventions.append(convention)
        standings.append(
            {
                "structure_id": structure_id,
                "blocking": False,
                "overdue_ids": [],
                "as_of": SIGNED_ON,
                "published_at": now,
            }
        )
        obligation(ObligationKind.FINAL_REPORT, convention_id, CONVENTION_END, None, convention)
        for post in range(2):
            index = 2 * number + post
            signed_on = FIRST_CONTRACT + timedelta(days=index % 75)
            ended = index % 20 == 7
            contract = {
                "contract_id": uuid.uuid4(),
                "convention_id": convention_id,
                "structure_id": structure_id,
                "start_date": signed_on,
                "end_date": signed_on + timedelta(days=730),
                "signed_on": signed_on,
                "ended_on": ENDED_ON if ended else None,
            }
            contracts.append(contract)
            contract_id = contract["contract_id"]
            # The recruitment, settled by the contract's signature.
            candidate_id = uuid.uuid4()
            for kind, on in (
                (ObligationKind.CANDIDATE_SELECTION, signed_on - timedelta(days=20)),
                (ObligationKind.CONTRACT_SIGNATURE, signed_on - timedelta(days=10)),
            ):
                obligation(kind, candidate_id, on, None, convention, fulfilled, candidate_id)
            # The contract's own steps: a quarter never entered training, a third never got equipment.
            trained = index % 4 != 0
            moot = waived if ended else ObligationStatus.OPEN
            obligation(
                ObligationKind.TRAINING_ENTRY,
                contract_id,
                signed_on,
                contract,
                convention,
                fulfilled if trained else moot,
            )
            obligation(
                ObligationKind.EQUIPMENT,
                contract_id,
                signed_on,
                contract,
                convention,
                fulfilled if index % 3 else moot,
            )
            if trained:
                entered = signed_on + timedelta(days=10)
                for kind in (ObligationKind.CERTIFICATION_EXAMS, ObligationKind.THEMATIC_MODULES):
                    obligation(kind, contract_id, entered, contract, convention, moot)
            if ended:
                obligation(ObligationKind.POST_REFILL, contract_id, ENDED_ON, contract, convention)
            # Activity reports: two months in three reported, a few reports each.
            month, last_day = month_start(signed_on), min(ENDED_ON if ended else FIRST_SCAN, NEXT_DAY)
            while month <= last_day:
                if (index + month.month) % 3:
                    for day in range(REPORTS_PER_MONTH):
                        reports.append(
                            {
                                "id": uuid.uuid4(),
                                "external_id": f"cra-{contract_id}-{month.isoformat()}-{day}",
                                "contract_id": contract_id,
                                "structure_id": structure_id,
                                "date": month + timedelta(days=3 + 7 * day),
                                "kind": "accompagnement individuel",
                                "duration_minutes": 60,
                                "participants": 1,
                                "created_at": now,
                            }
                        )
                month = next_month(month)

    database = Database(url)
    with database.unit_of_work() as uow:
        for table, rows in (
            (StructureContact, structures),
            (ConventionCopy, conventions),
            (ContractCopy, contracts),
            (Obligation, obligations),
            (ObligationHistory, history),
            (ActivityReport, reports),
            (Standing, standings),
        ):
            uow.session.execute(insert(table), rows)
        uow.commit()
    database.dispose()


def naive_scan(database: Any, as_of: date) -> dict[str, int]:
    """The same work as `obligations.scan`, written the first way that comes to mind: ORM objects, one
    query per question and one commit per change."""
    from sqlalchemy import select

    from cnum_shared.core import legal
    from cnum_shared.core.parameters import parameters
    from cnum_shared.framework.db import utcnow
    from cnum_shared.framework.events.outbox import emit
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
        OBLIGATIONS,
        ObligationEvent,
        ObligationKind,
        ObligationStatus,
        month_start,
        next_month,
    )
    from compliance.service_layer.scan import SCAN

    def status_on(due_on: date, as_of: date, due_soon_days: int) -> ObligationStatus:
        """Where a pending obligation stands on `as_of`: on time on its due day, overdue from the next."""
        if as_of > due_on:
            return ObligationStatus.OVERDUE
        if as_of >= due_on - timedelta(days=due_soon_days):
            return ObligationStatus.DUE_SOON
        return ObligationStatus.OPEN

    counts = {"created": 0, "due_soon": 0, "overdue": 0, "standings": 0}
    reporting = ObligationKind.ACTIVITY_REPORTING.value

    # 1. One activity-reporting obligation per contract and month over, created one at a time.
    with database.session() as session:
        contracts = session.scalars(select(ContractCopy)).all()
    for contract in contracts:
        last_day = min(
            day for day in (contract.ended_on, contract.end_date, as_of - timedelta(days=1)) if day
        )
        month = month_start(contract.start_date)
        while next_month(month) - timedelta(days=1) <= last_day:
            month_end = next_month(month) - timedelta(days=1)
            key = f"{reporting}:{contract.contract_id}:{month.isoformat()}"
            with database.unit_of_work() as uow:
                session = uow.session
                if session.scalar(select(Obligation.id).where(Obligation.natural_key == key)) is None:
                    report = session.scalar(
                        select(ActivityReport.id)
                        .where(
                            ActivityReport.contract_id == contract.contract_id,
                            ActivityReport.date >= month,
                            ActivityReport.date < next_month(month),
                        )
                        .limit(1)
                    )
                    status = ObligationStatus.FULFILLED if report is not None else ObligationStatus.OPEN
                    deadline = legal.deadline(reporting, month_end, tree=parameters())
                    now = utcnow()
                    obligation = Obligation(
                        id=uuid.uuid4(),
                        natural_key=key,
                        kind=reporting,
                        structure_id=contract.structure_id,
                        convention_id=contract.convention_id,
                        contract_id=contract.contract_id,
                        candidate_id=None,
                        period=month,
                        status=status.value,
                        due_on=deadline.due_on(month_end),
                        source=deadline.reference,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(obligation)
                    session.add(
                        ObligationHistory(
                            id=uuid.uuid4(),
                            obligation_id=obligation.id,
                            from_status=None,
                            to_status=status.value,
                            actor=SCAN,
                            reason=f"mois d'activité {month.strftime('%m/%Y')}",
                            at=now,
                        )
                    )
                    uow.commit()
                    counts["created"] += 1
            month = next_month(month)

    # 2. Each pending obligation to the status of its due date, one commit per change.
    window = legal.due_soon_window_days(as_of, tree=parameters())
    with database.unit_of_work() as uow:
        session = uow.session
        pending = session.scalars(
            select(Obligation).where(Obligation.status.in_(("open", "due_soon"))).order_by(Obligation.id)
        ).all()
        for obligation in pending:
            current = ObligationStatus(obligation.status)
            target = status_on(obligation.due_on, as_of, window)
            if target is current or target is ObligationStatus.OPEN:
                continue
            event = (
                ObligationEvent.LAPSE if target is ObligationStatus.OVERDUE else ObligationEvent.COME_CLOSE
            )
            obligation.status = OBLIGATIONS.next(current, event)
            obligation.updated_at = utcnow()
            session.add(
                ObligationHistory(
                    id=uuid.uuid4(),
                    obligation_id=obligation.id,
                    from_status=current.value,
                    to_status=obligation.status,
                    actor=SCAN,
                    reason=(
                        f"échéance dépassée au {as_of.isoformat()}"
                        if target is ObligationStatus.OVERDUE
                        else f"échéance dans {window} jours au plus"
                    ),
                    at=utcnow(),
                )
            )
            uow.commit()
            counts["overdue" if target is ObligationStatus.OVERDUE else "due_soon"] += 1

    # 3. Each structure's standing recomputed, stored and published when it changed, one at a time.
    with database.session() as session:
        structure_ids = session.scalars(select(StructureContact.structure_id)).all()
    for structure_id in structure_ids:
        with database.unit_of_work() as uow:
            session = uow.session
            overdue = session.scalars(
                select(Obligation).where(
                    Obligation.structure_id == structure_id,
                    Obligation.status == ObligationStatus.OVERDUE.value,
                )
            ).all()
            ids = sorted(str(obligation.id) for obligation in overdue)
            standing = session.get(Standing, structure_id)
            if standing is not None and standing.overdue_ids == ids:
                continue
            if standing is None:
                standing = Standing(structure_id=structure_id)
                session.add(standing)
            standing.blocking, standing.overdue_ids = bool(ids), ids
            standing.as_of, standing.published_at = as_of, utcnow()
            emit(
                session,
                event_tables,
                producer="compliance",
                event_type="structure.standing_changed",
                data={
                    "structure_id": structure_id,
                    "blocking": bool(ids),
                    "overdue": [
                        {"obligation_id": o.id, "kind": o.kind, "due_on": o.due_on}
                        for o in sorted(overdue, key=lambda o: (o.due_on, str(o.id)))
                    ],
                    "as_of": as_of,
                },
            )
            uow.commit()
            counts["standings"] += 1
    return counts


def _state(database: Any) -> dict[str, Any]:
    """What both versions must agree on: obligations per kind and status, history rows, standings, events."""
    from sqlalchemy import func, select

    from compliance.adapters.orm import Obligation, ObligationHistory, Standing, event_tables

    with database.session() as session:
        return {
            "obligations": dict(
                session.execute(
                    select(Obligation.kind + ":" + Obligation.status, func.count()).group_by(
                        Obligation.kind, Obligation.status
                    )
                ).all()
            ),
            "history": session.scalar(select(func.count()).select_from(ObligationHistory)),
            "standings": dict(
                session.execute(select(Standing.blocking, func.count()).group_by(Standing.blocking)).all()
            ),
            "events": session.scalar(select(func.count()).select_from(event_tables.outbox)),
        }


def bench_scan(backend: str = "sqlite", posts: int = 4000) -> list[Result]:
    """The compliance scan over `posts` contracts, first after months then the next day, each against the
    naive version of the same work on an identical copy of the database."""
    from cnum_shared.core.parameters import parameters
    from cnum_shared.framework.db import Database
    from compliance.adapters.unit_of_work import SqlUnitOfWork
    from compliance.manage import MIGRATIONS_DIR
    from compliance.service_layer.commands import ScanObligations
    from compliance.service_layer.scan import scan_obligations

    databases = Databases(backend)
    seeded = databases.migrated(MIGRATIONS_DIR)
    _seed(seeded, posts)
    ours_db, naive_db = Database(databases.copy(seeded)), Database(databases.copy(seeded))

    results: list[Result] = []
    try:
        for label, as_of in (("first scan", FIRST_SCAN), ("quiet next day", NEXT_DAY)):
            counts: dict[str, dict[str, int]] = {}

            def ours(as_of: date = as_of, counts: dict[str, dict[str, int]] = counts) -> None:
                """As the `scan` job runs it: one unit of work, one commit."""
                with SqlUnitOfWork(ours_db.session_factory, parameters()) as uow:
                    counts["ours"] = dataclasses.asdict(scan_obligations(uow, ScanObligations(as_of)))

            def naive(as_of: date = as_of, counts: dict[str, dict[str, int]] = counts) -> None:
                counts["naive"] = naive_scan(naive_db, as_of)

            ours_time, naive_time = timed(ours), timed(naive)
            # A benchmark of different work is worthless: both must have done, and left, the same.
            assert counts["ours"] == counts["naive"], counts
            assert _state(ours_db) == _state(naive_db), (_state(ours_db), _state(naive_db))
            ratio = ours_time / naive_time
            done = counts["ours"]
            results.append(
                Result(
                    f"Compliance scan of {posts} posts, {label}, {backend} (s)",
                    f"{ours_time:.2f} ({done['created']} created, {done['overdue']} overdue, "
                    f"{done['due_soon']} due soon, {done['standings']} standings)",
                    f"{naive_time:.2f} (ORM, one commit each)",
                    ratio,
                    *judged_on_postgresql(backend, ratio),
                )
            )
    finally:
        ours_db.dispose()
        naive_db.dispose()
        databases.close()
    return results
