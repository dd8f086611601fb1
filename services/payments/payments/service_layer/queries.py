"""Read models of the payments API: what the views show, read through a (read-only) unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core.exports import every_row
from cnum_shared.core.territories import all_regions, all_territories, region_of
from payments.adapters.orm import (
    ConventionCopy,
    Hold,
    PaymentRun,
    Recovery,
    SmicCheck,
    Tranche,
    TrancheHistory,
)
from payments.adapters.repositories import TRANCHE_LIST as TRANCHE_LIST
from payments.domain.bank_returns import LineResolution
from payments.domain.clawback import RECOVERABLE, RecoveryKind, RecoveryStatus
from payments.domain.errors import ConventionNotFound, PaymentRunNotFound, ScheduleNotFound, TrancheNotFound
from payments.domain.final_statement import FinalStatement
from payments.domain.payments import PaymentRunStatus, PaymentStatus
from payments.domain.tranches import TrancheStatus
from payments.service_layer import final_statements
from payments.service_layer.final_statements import Settlement
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

#: Tranches the balance counts as due: due, blocked or approved.
OWED = (TrancheStatus.DUE, TrancheStatus.BLOCKED, TrancheStatus.APPROVED)


@dataclass(frozen=True)
class TrancheFilters:
    #: No status: every tranche; several: a tranche in any of them (the dashboard's « à verser »).
    statuses: tuple[TrancheStatus, ...] = ()
    due_before: date | None = None
    structure_id: uuid.UUID | None = None
    convention_id: uuid.UUID | None = None
    #: The tranches of the structures of these departments (a department, a region's, or none at all when
    #: a department outside the region is asked for); None: every department.
    departments: tuple[str, ...] | None = None


def schedule(uow: PaymentsUnitOfWork, convention_id: uuid.UUID) -> dict[str, Any]:
    """The convention's tranches (ScheduleNotFound when payments never scheduled it)."""
    convention = uow.conventions.get(convention_id)
    if convention is None:
        raise ScheduleNotFound()
    return {
        "convention_id": convention.convention_id,
        "structure_id": convention.structure_id,
        "reference": convention.reference,
        "total_amount": convention.total_amount,
        "status": convention.status,
        "tranches": uow.tranches.of_convention(convention_id),
    }


def list_tranches(
    uow: PaymentsUnitOfWork, filters: TrancheFilters, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """A page of tranches by due date, and how many match (the X-Pagination count)."""
    return uow.tranches.page(
        statuses=filters.statuses,
        departments=filters.departments,
        due_before=filters.due_before,
        structure_id=filters.structure_id,
        convention_id=filters.convention_id,
        offset=offset,
        limit=limit,
    )


def export_tranches(uow: PaymentsUnitOfWork, filters: TrancheFilters) -> Sequence[Any]:
    """Every tranche the filters match, for an export (422 past `MAX_EXPORT_ROWS`)."""
    return every_row(lambda offset, limit: list_tranches(uow, filters, offset, limit))


def tranche(uow: PaymentsUnitOfWork, tranche_id: uuid.UUID) -> Tranche:
    found = uow.tranches.get(tranche_id)
    if found is None:
        raise TrancheNotFound()
    return found


def tranche_history(uow: PaymentsUnitOfWork, tranche_id: uuid.UUID) -> list[TrancheHistory]:
    tranche(uow, tranche_id)
    return uow.tranches.history(tranche_id)


def holds_in_force(uow: PaymentsUnitOfWork) -> list[Hold]:
    return uow.holds.in_force(every=True)


def smic_checks(
    uow: PaymentsUnitOfWork,
    contract_id: uuid.UUID | None,
    structure_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[SmicCheck], int]:
    return uow.smic_checks.page(
        contract_id=contract_id, structure_id=structure_id, offset=offset, limit=limit
    )


@dataclass(frozen=True)
class Balance:
    convention_id: uuid.UUID
    total: Decimal
    paid: Decimal
    due: Decimal
    recoverable: Decimal
    recoveries: Sequence[Recovery]
    regularisations: Sequence[Tranche]


def balance(uow: PaymentsUnitOfWork, convention_id: uuid.UUID) -> Balance:
    """Total, paid (returned payments do not count), due (tranches due, blocked or approved),
    recoverable, and each recovery and regularisation line with its computation (DESIGN §4)."""
    convention = uow.conventions.get(convention_id)
    if convention is None:
        raise ConventionNotFound()
    recoveries = uow.recoveries.of_convention(convention_id)
    return Balance(
        convention_id=convention_id,
        total=convention.total_amount,
        paid=uow.payments.paid_total(convention_id),
        due=uow.tranches.owed_total(convention_id, OWED),
        recoverable=sum((r.amount for r in recoveries if r.status in RECOVERABLE), Decimal(0)),
        recoveries=recoveries,
        regularisations=uow.tranches.regularisation_lines(convention_id),
    )


@dataclass(frozen=True)
class FinalStatementView:
    convention: ConventionCopy
    statement: FinalStatement
    settlements: Sequence[Settlement]


def final_statement(
    uow: PaymentsUnitOfWork, convention_id: uuid.UUID, as_of: date | None, today: date
) -> FinalStatementView:
    """The convention's final statement as of `as_of`; by default as of the day it was closed or
    terminated, else its end date, or today while it runs (decision 0030)."""
    convention = uow.conventions.get(convention_id)
    if convention is None:
        raise ConventionNotFound()
    if as_of is None:
        as_of = convention.ended_on or min(convention.end_date, today)
    return FinalStatementView(
        convention=convention,
        statement=final_statements.statement(uow, convention, as_of),
        settlements=final_statements.settlements(uow, convention_id),
    )


def list_runs(
    uow: PaymentsUnitOfWork, status: PaymentRunStatus | None, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """The runs, newest first, without their SEPA files."""
    return uow.payment_runs.page(status, offset, limit)


#: The fields of a run an answer shows (its SEPA file is downloaded apart).
RUN_FIELDS = (
    "id",
    "status",
    "execution_date",
    "message_id",
    "number_of_transactions",
    "control_sum",
    "created_by",
    "created_at",
    "exported_at",
    "confirmed_by",
    "confirmed_at",
)


def run_with_lines(uow: PaymentsUnitOfWork, run: PaymentRun) -> dict[str, Any]:
    """The run and its lines, as raw values for the answer's schema to dump."""
    data = {name: getattr(run, name) for name in RUN_FIELDS}
    data["lines"] = uow.payment_runs.lines(run.id)
    return data


def payment_run(uow: PaymentsUnitOfWork, run_id: uuid.UUID) -> dict[str, Any]:
    run = uow.payment_runs.get(run_id)
    if run is None:
        raise PaymentRunNotFound()
    return run_with_lines(uow, run)


def export_runs(uow: PaymentsUnitOfWork, status: PaymentRunStatus | None) -> Sequence[Any]:
    """Every run of the status, for an export (422 past `MAX_EXPORT_ROWS`)."""
    return every_row(lambda offset, limit: list_runs(uow, status, offset, limit))


@dataclass(frozen=True)
class PaymentFilters:
    status: PaymentStatus | None = None
    structure_id: uuid.UUID | None = None
    convention_id: uuid.UUID | None = None
    payment_run_id: uuid.UUID | None = None


def list_payments(
    uow: PaymentsUnitOfWork, filters: PaymentFilters, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """A page of payments, latest first, and how many match."""
    return uow.payments.page(
        status=filters.status,
        structure_id=filters.structure_id,
        convention_id=filters.convention_id,
        payment_run_id=filters.payment_run_id,
        offset=offset,
        limit=limit,
    )


def export_payments(uow: PaymentsUnitOfWork, filters: PaymentFilters) -> Sequence[Any]:
    return every_row(lambda offset, limit: list_payments(uow, filters, offset, limit))


@dataclass(frozen=True)
class RecoveryFilters:
    #: No status: every recovery; several: a recovery in any of them (the dashboard's « à reverser »).
    statuses: tuple[RecoveryStatus, ...] = ()
    kind: RecoveryKind | None = None
    structure_id: uuid.UUID | None = None
    convention_id: uuid.UUID | None = None
    #: As TrancheFilters.departments: the structures of these departments; None, every department.
    departments: tuple[str, ...] | None = None


def list_recoveries(
    uow: PaymentsUnitOfWork, filters: RecoveryFilters, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """A page of recoveries (every convention's), latest first, and how many match."""
    return uow.recoveries.page(
        statuses=filters.statuses,
        departments=filters.departments,
        kind=filters.kind,
        structure_id=filters.structure_id,
        convention_id=filters.convention_id,
        offset=offset,
        limit=limit,
    )


def export_recoveries(uow: PaymentsUnitOfWork, filters: RecoveryFilters) -> Sequence[Any]:
    return every_row(lambda offset, limit: list_recoveries(uow, filters, offset, limit))


@dataclass(frozen=True)
class BankLineFilters:
    #: `open` (to deal with), `resolved` (received or dismissed), or None for both.
    status: str | None = None
    booked_from: date | None = None
    booked_to: date | None = None
    amount: Decimal | None = None


#: The work list's `status` filter: the resolutions it stands for.
BANK_LINE_STATUSES: dict[str | None, tuple[LineResolution, ...]] = {
    "open": (LineResolution.OPEN,),
    "resolved": (LineResolution.RECEIVED, LineResolution.DISMISSED),
    None: tuple(LineResolution),
}


def list_unmatched_lines(
    uow: PaymentsUnitOfWork, filters: BankLineFilters, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """The officer's work list: a page of the unmatched lines of every imported bank file, each bank fact
    once (a line a later file repeats is listed as its first file brought it), and how many match."""
    return uow.bank_files.work_list(
        resolutions=BANK_LINE_STATUSES[filters.status],
        booked_from=filters.booked_from,
        booked_to=filters.booked_to,
        amount=filters.amount,
        offset=offset,
        limit=limit,
    )


def export_unmatched_lines(uow: PaymentsUnitOfWork, filters: BankLineFilters) -> Sequence[Any]:
    return every_row(lambda offset, limit: list_unmatched_lines(uow, filters, offset, limit))


#: The dashboard's amounts (decision 0043), each summed in SQL by `uow.statistics`:
#: committed: the payable lines of the signed conventions (every tranche, supplementary line and final
#: balance payments holds, all of signed conventions) that are not cancelled;
#: paid: the payments of those lines that the bank did not return (as the balance's `paid`);
#: due: the lines due, blocked or approved (OWED, as the balance's `due`);
#: recoverable: the recoveries provisional or issued (RECOVERABLE, as the balance's `recoverable`);
#: recoverable_issued: of those, the recovery orders issued and not yet received or offset.
AMOUNT_FIGURES = ("committed", "paid", "due", "recoverable", "recoverable_issued")
_ZERO = Decimal("0.00")


def _amounts(found: dict[str, Decimal] | None) -> dict[str, Decimal]:
    return {name: (found or {}).get(name, _ZERO) for name in AMOUNT_FIGURES}


def programme_amounts(uow: PaymentsUnitOfWork) -> dict[str, Any]:
    """The programme's committed, paid, due and recoverable amounts in all, by region and by department
    (the structure's department, as conventions' events carry it; its region from the COG)."""
    recoverable = tuple(sorted(RECOVERABLE))

    def amounts(grouping: str | None) -> dict[str | None, dict[str, Decimal]]:
        return uow.statistics.amounts(
            grouping, owed=OWED, recoverable=recoverable, issued=(RecoveryStatus.ISSUED,)
        )

    total = amounts(None).get(None)
    by_region = amounts("region")
    by_department = amounts("department")
    regions: list[dict[str, Any]] = [
        {"code": region.code, "name": region.name, **_amounts(by_region[region.code])}
        for region in all_regions()
        if region.code in by_region
    ]
    departments: list[dict[str, Any]] = [
        {
            "code": place.code,
            "name": place.name,
            "region": region_of(place.code).code,
            **_amounts(by_department[place.code]),
        }
        for place in all_territories()
        if place.code in by_department
    ]
    # A department code the COG does not know (none today: conventions checks it) is still counted.
    known = {place.code for place in all_territories()}
    departments += [
        {"code": code, "name": "Territoire inconnu", "region": None, **_amounts(found)}
        for code, found in sorted(by_department.items(), key=lambda item: str(item[0]))
        if code not in known
    ]
    if None in by_region:
        regions.append({"code": None, "name": "Territoire inconnu", **_amounts(by_region[None])})
    return {"total": _amounts(total), "regions": regions, "departments": departments}
