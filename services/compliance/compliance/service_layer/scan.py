"""The daily scan: monthly reporting and yearly continuing-training obligations set up in bulk, then
open → due soon → overdue, and the standings that changed published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.contracts import last_day
from cnum_shared.core.dates import add_period
from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import nogc, utcnow
from compliance.domain.obligations import (
    OBLIGATIONS,
    ObligationEvent,
    ObligationKind,
    ObligationStatus,
    month_start,
    next_month,
)
from compliance.domain.training import ContinuingYear, owed_years
from compliance.service_layer.commands import ScanObligations
from compliance.service_layer.standings import publish_standings
from compliance.service_layer.training import settle_years
from compliance.service_layer.unit_of_work import UnitOfWork

SCAN = "cnum (échéancier)"


@dataclass
class _Row:
    """An obligation as the scan moves it: its id and status only (the state machine's entity)."""

    id: uuid.UUID
    status: Any


class _Collected:
    """The transitions of one bulk move, written to the history at once."""

    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def record(self, transition: Transition) -> None:
        self.transitions.append(transition)


@dataclass(frozen=True)
class ScanCounts:
    created: int
    due_soon: int
    overdue: int
    standings: int


@nogc
def scan_obligations(uow: UnitOfWork, command: ScanObligations) -> ScanCounts:
    """The daily scan for `as_of`: monthly reporting and yearly continuing-training obligations, then
    open → due soon → overdue, then the standings."""
    as_of = command.as_of
    created = _activity_reporting_obligations(uow, as_of)
    created += _continuing_training_obligations(uow, as_of)
    window = legal.due_soon_window_days(as_of, tree=uow.parameters)
    overdue = _move_in_bulk(
        uow,
        uow.obligations.to_move((ObligationStatus.OPEN, ObligationStatus.DUE_SOON), due_before=as_of),
        ObligationEvent.LAPSE,
        f"échéance dépassée au {as_of.isoformat()}",
    )
    due_soon = _move_in_bulk(
        uow,
        uow.obligations.to_move((ObligationStatus.OPEN,), due_by=as_of + timedelta(days=window)),
        ObligationEvent.COME_CLOSE,
        f"échéance dans {window} jours au plus",
    )
    published = publish_standings(uow, as_of)
    uow.commit()
    return ScanCounts(created=created, due_soon=due_soon, overdue=overdue, standings=published)


def _move_in_bulk(
    uow: UnitOfWork, moving: list[tuple[uuid.UUID, ObligationStatus]], event: ObligationEvent, reason: str
) -> int:
    """Move these obligations by `event` through the state machine, then write their new status and
    their history rows in two statements."""
    if not moving:
        return 0
    now = utcnow()
    log = _Collected()
    by_status: dict[ObligationStatus, list[uuid.UUID]] = {}
    for obligation_id, status in moving:
        row = _Row(obligation_id, status)
        OBLIGATIONS.apply(row, event, actor=SCAN, reason=reason, at=now, log=log)
        by_status.setdefault(row.status, []).append(obligation_id)
    uow.history.record_many(log.transitions)
    for status, ids in by_status.items():
        uow.obligations.set_status(ids, status, now)
    return len(moving)


def _scanned_obligation(
    kind: ObligationKind, key: str, contract: Any, period: date, due_on: date, source: str, now: datetime
) -> dict[str, Any]:
    """The row of an obligation the scan opens for a contract (a month's report, a year's module)."""
    return {
        "id": uuid.uuid4(),
        "natural_key": key,
        "kind": kind.value,
        "structure_id": contract.structure_id,
        "convention_id": contract.convention_id,
        "contract_id": contract.contract_id,
        "candidate_id": None,
        "advisor_id": None,
        "period": period,
        "status": ObligationStatus.OPEN.value,
        "due_on": due_on,
        "source": source,
        "escalation_requests": 0,
        "created_at": now,
        "updated_at": now,
    }


def _open_rows(uow: UnitOfWork, rows: list[dict[str, Any]], reasons: list[str], now: datetime) -> None:
    """Store the rows the scan opens, each with the first row of its history (its status, the scan, why)."""
    log = _Collected()
    for row, reason in zip(rows, reasons, strict=True):
        OBLIGATIONS.start(
            _Row(row["id"], None), ObligationStatus(row["status"]), actor=SCAN, reason=reason, at=now, log=log
        )
    uow.obligations.add_rows(rows)
    uow.history.record_many(log.transitions)


def _activity_reporting_obligations(uow: UnitOfWork, as_of: date) -> int:
    """One obligation per month a contract was active, once the month is over (set up in bulk)."""
    kind = ObligationKind.ACTIVITY_REPORTING
    existing = uow.obligations.keys_of_kind(kind)
    # The months still without their obligation; on most days there are none.
    missing: list[tuple[Any, date, str]] = []
    yesterday = as_of - timedelta(days=1)
    for contract in uow.contracts.rows():
        end = last_day(contract.end_date, contract.ended_on)
        until = yesterday if end is None else min(end, yesterday)
        prefix = f"{kind.value}:{contract.contract_id}:"
        month = month_start(contract.start_date)
        following = next_month(month)
        while following - timedelta(days=1) <= until:
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
        for contract_id in uow.activity_reports.contracts_reporting_in(month, next_month(month))
    }
    # The same due date, legal source and reason for every contract of a month.
    per_month: dict[date, tuple[date, str, str]] = {}
    for month in months:
        month_end = next_month(month) - timedelta(days=1)
        deadline = legal.deadline(kind.value, month_end, tree=uow.parameters)
        per_month[month] = (
            add_period(month_end, deadline.months, deadline.days),
            deadline.reference,
            f"mois d'activité {month.strftime('%m/%Y')}",
        )
    rows: list[dict[str, Any]] = []
    reasons: list[str] = []
    now = utcnow()
    for contract, month, key in missing:
        due_on, source, reason = per_month[month]
        row = _scanned_obligation(kind, key, contract, month, due_on, source, now)
        if (contract.contract_id, month) in reported:
            row["status"] = ObligationStatus.FULFILLED.value
        rows.append(row)
        reasons.append(reason)
    _open_rows(uow, rows, reasons, now)
    return len(rows)


def _thematic_year_end(uow: UnitOfWork, entered_on: date) -> date:
    """The end of the year of the two thematic modules that follows the entry into initial training."""
    return legal.deadline(ObligationKind.THEMATIC_MODULES.value, entered_on, tree=uow.parameters).due_on(
        entered_on
    )


def _first_continuing_day(uow: UnitOfWork, entered_on: date | None, contract_start: date) -> date:
    """Continuing training begins the day after the thematic-modules year, or at the contract's start
    for an advisor exempted from initial training (who never enters it)."""
    if entered_on is not None:
        return _thematic_year_end(uow, entered_on) + timedelta(days=1)
    return contract_start


@dataclass(frozen=True)
class _NewYear:
    id: uuid.UUID
    period: date
    due_on: date
    status: str


def _continuing_training_obligations(uow: UnitOfWork, as_of: date) -> int:
    """The calendar years each advisor in continuing training owes a module, set up in bulk once begun."""
    kind = ObligationKind.CONTINUING_TRAINING
    entries = uow.training.entries()
    concerned = set(entries) | uow.exemptions.contract_ids()
    if not concerned:
        return 0
    existing = uow.obligations.keys_of_kind(kind)
    deadlines: dict[int, legal.DueDate | None] = {}

    def deadline_of(year: int) -> legal.DueDate | None:
        if year not in deadlines:
            deadlines[year] = legal.continuing_training_deadline(year, tree=uow.parameters)
        return deadlines[year]

    missing: list[tuple[Any, ContinuingYear, str]] = []
    for contract in uow.contracts.rows(concerned):
        years = owed_years(
            first_starts_on=_first_continuing_day(
                uow, entries.get(contract.contract_id), contract.start_date
            ),
            last_day=last_day(contract.end_date, contract.ended_on),
            as_of=as_of,
            deadline_of=deadline_of,
        )
        for year in years:
            key = f"{kind.value}:{contract.contract_id}:{year.period.isoformat()}"
            if key not in existing:
                missing.append((contract, year, key))
    if not missing:
        return 0
    # A module already followed settles its year at once (each module for one year only, the years
    # already set up included).
    contract_ids = {contract.contract_id for contract, _, _ in missing}
    modules = uow.training.modules_among(contract_ids)
    years_of: dict[Any, list[Any]] = {}
    for known in uow.obligations.years_of(kind, contract_ids):
        years_of.setdefault(known.contract_id, []).append(known)
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for contract, year, key in missing:
        row = _scanned_obligation(kind, key, contract, year.period, year.due_on, year.source, now)
        years_of.setdefault(contract.contract_id, []).append(
            _NewYear(row["id"], year.period, year.due_on, ObligationStatus.OPEN.value)
        )
        rows.append(row)
    settled: dict[Any, date] = {}
    for contract_id in contract_ids:
        settled.update(settle_years(years_of.get(contract_id, []), modules.get(contract_id, [])))
    reasons: list[str] = []
    for row in rows:
        module = settled.get(row["id"])
        if module is not None:
            row["status"] = ObligationStatus.FULFILLED.value
        reasons.append(
            f"formation continue {row['period'].year}"
            + (f" : module thématique suivi le {module.isoformat()}" if module else "")
        )
    _open_rows(uow, rows, reasons, now)
    return len(rows)
