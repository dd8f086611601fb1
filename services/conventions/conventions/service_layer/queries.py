"""The read models of the conventions service: what the views list and show, through the repositories
of a read-only unit of work. Nothing here writes or commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cnum_shared.core.dates import add_months
from cnum_shared.core.territories import all_regions, all_territories, departments_of, region_of, territory
from conventions.adapters.orm import (
    Advisor,
    BankDetailsChange,
    Candidate,
    Contract,
    Convention,
    ConventionAmendment,
    Officer,
    RecoveryOrder,
    Structure,
)
from conventions.domain.officers import normalized_email
from conventions.service_layer.contracts import get_advisor, get_candidate, get_contract
from conventions.service_layer.conventions import get_amendment, get_convention
from conventions.service_layer.documents import Reader, visible_recovery_order
from conventions.service_layer.officers import get_officer
from conventions.service_layer.open_data import OpenDataTable, subsidies_open_data
from conventions.service_layer.structures import get_structure
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

__all__ = [
    "ConventionFilters",
    "DirectoryFilters",
    "RecoveryOrderFilters",
    "StructureFilters",
    "advisor",
    "amendment",
    "amendments",
    "bank_details_changes",
    "candidate",
    "contract",
    "contracts",
    "convention",
    "conventions",
    "directory_conventions",
    "directory_structures",
    "open_data_subsidies",
    "programme_conventions",
    "recovery_order",
    "recovery_orders",
    "structure",
    "structures",
]


@dataclass(frozen=True)
class StructureFilters:
    department: str | None = None
    kind: str | None = None
    #: Found in the name (any case), or starting the SIRET (spaces left out).
    q: str | None = None
    #: Only these structures (the names behind the ids of a page).
    ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class OfficerFilters:
    #: The address exactly, whatever its case: how the web front's sign-in finds an officer.
    email: str | None = None
    role: str | None = None
    active: bool | None = None
    #: Searched in the name (case-insensitive) and the address.
    q: str | None = None


@dataclass(frozen=True)
class ConventionFilters:
    structure_id: uuid.UUID | None = None
    status: str | None = None
    wave: str | None = None
    #: A search on the reference, or on the structure's name or SIRET.
    q: str | None = None
    #: The structures of a department, or of a region (its COG code): a dashboard's figure leads here.
    department: str | None = None
    region: str | None = None
    #: In force: signed or amended, neither closed nor terminated; `active_on`: and running that day.
    running: bool = False
    active_on: date | None = None
    #: The end date from, to (included).
    ends_from: date | None = None
    ends_to: date | None = None

    def departments(self) -> tuple[str, ...] | None:
        """The departments the territory filters leave (none when a department is outside the region),
        or None when they name none."""
        found: tuple[str, ...] | None = departments_of(self.region) if self.region else None
        if self.department:
            department = territory(self.department).code
            found = (department,) if found is None or department in found else ()
        return found


@dataclass(frozen=True)
class DirectoryFilters:
    """What the directory (decision 0044) looks for: a text, or the names behind some ids."""

    #: Structures: found in the name (any case) or starting the SIRET; conventions: in the reference.
    q: str | None = None
    ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class RecoveryOrderFilters:
    structure_id: uuid.UUID | None = None
    convention_id: uuid.UUID | None = None


def structures(
    uow: ConventionsUnitOfWork, filters: StructureFilters, offset: int, limit: int
) -> tuple[Sequence[Structure], int]:
    """A page of structures by name, and how many match in all."""
    return uow.structures.page(
        department=filters.department,
        kind=filters.kind,
        q=filters.q,
        ids=filters.ids,
        offset=offset,
        limit=limit,
    )


def directory_structures(
    uow: ConventionsUnitOfWork, filters: DirectoryFilters, offset: int, limit: int
) -> tuple[Sequence[Structure], int]:
    """A page of structures by name, for the directory: the text people type, or the ids of a page."""
    return uow.structures.page(
        department=None, kind=None, q=filters.q, ids=filters.ids, offset=offset, limit=limit
    )


def directory_conventions(
    uow: ConventionsUnitOfWork, filters: DirectoryFilters, offset: int, limit: int
) -> tuple[Sequence[Convention], int]:
    """A page of conventions, newest first, for the directory: by reference, or the ids of a page."""
    return uow.conventions.page(
        structure_id=None,
        status=None,
        wave=None,
        q=None,
        reference=filters.q,
        ids=filters.ids,
        offset=offset,
        limit=limit,
    )


def structure(uow: ConventionsUnitOfWork, structure_id: uuid.UUID) -> Structure:
    return get_structure(uow, structure_id)


def officers(
    uow: ConventionsUnitOfWork, filters: OfficerFilters, offset: int, limit: int
) -> tuple[Sequence[Officer], int]:
    """A page of the officers' directory by name, and how many match in all."""
    return uow.officers.page(
        email=normalized_email(filters.email) if filters.email else None,
        role=filters.role,
        active=filters.active,
        q=filters.q,
        offset=offset,
        limit=limit,
    )


def officer(uow: ConventionsUnitOfWork, officer_id: uuid.UUID) -> Officer:
    return get_officer(uow, officer_id)


def conventions(
    uow: ConventionsUnitOfWork, filters: ConventionFilters, offset: int, limit: int
) -> tuple[Sequence[Convention], int]:
    """A page of conventions, newest first, and how many match in all."""
    return uow.conventions.page(
        structure_id=filters.structure_id,
        status=filters.status,
        wave=filters.wave,
        q=filters.q,
        departments=filters.departments(),
        running=filters.running,
        active_on=filters.active_on,
        ends_from=filters.ends_from,
        ends_to=filters.ends_to,
        offset=offset,
        limit=limit,
    )


def convention(uow: ConventionsUnitOfWork, convention_id: uuid.UUID) -> Convention:
    return get_convention(uow, convention_id)


def amendments(uow: ConventionsUnitOfWork, convention_id: uuid.UUID) -> Sequence[ConventionAmendment]:
    """The avenants of a convention, in order."""
    return uow.amendments.of_convention(convention_id)


def amendment(
    uow: ConventionsUnitOfWork, convention_id: uuid.UUID, amendment_id: uuid.UUID
) -> ConventionAmendment:
    return get_amendment(uow, convention_id, amendment_id)


def advisor(
    uow: ConventionsUnitOfWork, advisor_id: uuid.UUID, *, viewer_structure_id: uuid.UUID | None = None
) -> Advisor:
    return get_advisor(uow, advisor_id, viewer_structure_id=viewer_structure_id)


def candidate(uow: ConventionsUnitOfWork, candidate_id: uuid.UUID) -> Candidate:
    return get_candidate(uow, candidate_id)


def contract(uow: ConventionsUnitOfWork, contract_id: uuid.UUID) -> Contract:
    return get_contract(uow, contract_id)


def contracts(uow: ConventionsUnitOfWork, convention_id: uuid.UUID) -> Sequence[Contract]:
    """The contracts on a convention's posts, by start date."""
    return uow.contracts.of_convention(convention_id)


def bank_details_changes(uow: ConventionsUnitOfWork, structure_id: uuid.UUID) -> Sequence[BankDetailsChange]:
    """The bank-details changes of a structure, the newest first."""
    get_structure(uow, structure_id)
    return uow.bank_details.of_structure(structure_id)


def open_data_subsidies(uow: ConventionsUnitOfWork, as_of: date) -> OpenDataTable:
    """The SCDL « Subventions » rows of the conventions signed on or before `as_of` (decision 0029)."""
    return subsidies_open_data(uow, as_of)


def recovery_orders(
    uow: ConventionsUnitOfWork, filters: RecoveryOrderFilters, offset: int, limit: int
) -> tuple[Sequence[RecoveryOrder], int]:
    """A page of the recovery orders received from payments, the latest issued first, and the count."""
    return uow.recovery_orders.page(
        structure_id=filters.structure_id, convention_id=filters.convention_id, offset=offset, limit=limit
    )


def recovery_order(uow: ConventionsUnitOfWork, recovery_id: uuid.UUID, reader: Reader) -> RecoveryOrder:
    """One recovery order; 404 when none was received or it is another structure's."""
    return visible_recovery_order(uow, recovery_id, reader)


_POST_FIGURES = ("conventions", "posts", "filled")


def _posts(found: dict[str, int] | None) -> dict[str, int]:
    return {name: (found or {}).get(name, 0) for name in _POST_FIGURES}


def programme_conventions(uow: ConventionsUnitOfWork, as_of: date, months: int) -> dict[str, Any]:
    """The dashboard's figures of the conventions service (decision 0043), counted in the database:

    - `posts`: on `as_of`, the conventions in force (signed or amended, started, not ended), the posts
      they grant and the posts filled (contracts active that day), in all, by region and by department
      (the structure's, its region from the COG);
    - `endings`: the conventions in force whose end date falls in each of the `months` months from the
      month of `as_of` (every month listed, none ending: 0), and those that ended before that month
      and are not closed yet.
    """
    statistics = uow.statistics
    by_region = statistics.posts("region", as_of)
    by_department = statistics.posts("department", as_of)
    regions: list[dict[str, Any]] = [
        {"code": region.code, "name": region.name, **_posts(by_region[region.code])}
        for region in all_regions()
        if region.code in by_region
    ]
    departments: list[dict[str, Any]] = [
        {"code": place.code, "name": place.name, "region": region_of(place.code).code, **_posts(found)}
        for place in all_territories()
        if (found := by_department.get(place.code)) is not None
    ]
    first_day = as_of.replace(day=1)
    window_end = add_months(first_day, months) - timedelta(days=1)
    ending = {
        (year, month): (count, posts)
        for year, month, count, posts in statistics.endings(first_day, window_end)
    }
    listed = []
    for offset in range(months):
        month_start = add_months(first_day, offset)
        count, posts = ending.get((month_start.year, month_start.month), (0, 0))
        listed.append(
            {
                "month": f"{month_start:%Y-%m}",
                "first_day": month_start,
                "last_day": add_months(month_start, 1) - timedelta(days=1),
                "conventions": count,
                "posts": posts,
            }
        )
    unclosed, unclosed_posts = statistics.ended_unclosed(first_day)
    return {
        "as_of": as_of,
        "posts": {
            "total": _posts(statistics.posts(None, as_of).get(None)),
            "regions": regions,
            "departments": departments,
        },
        "endings": {
            "first_day": first_day,
            "last_day": window_end,
            "months": listed,
            "ended_unclosed": {"conventions": unclosed, "posts": unclosed_posts, "before": first_day},
        },
    }
