"""What the lists a dashboard's figure leads to take (decision 0043): several statuses, and a territory,
the structure's department or its region. The tranche list and the recovery list read them alike."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from marshmallow import Schema, fields, validate

from cnum_shared.core.territories import all_regions, all_territories, departments_of, territory

#: The territories a list may be filtered on.
DEPARTMENT_CODES = [place.code for place in all_territories()]
REGION_CODES = [region.code for region in all_regions()]

Status = TypeVar("Status", bound=StrEnum)


def statuses_field(statuses: Iterable[StrEnum], example: str) -> fields.List[Any]:
    """A repeated `status`: one status, or several (`example`), for a row in any of them."""
    return fields.List(
        fields.String(validate=validate.OneOf([status.value for status in statuses])),
        metadata={"description": f"un statut, ou plusieurs ({example}) : l'un d'eux"},
    )


def statuses_asked(query: dict[str, Any], kind: type[Status]) -> tuple[Status, ...]:
    """The statuses the query names, each once, in its order (none: every status)."""
    return tuple(dict.fromkeys(kind(status) for status in query.get("status") or ()))


class TerritoryQuerySchema(Schema):
    department = fields.String(
        validate=validate.OneOf(DEPARTMENT_CODES, error="Code de département inconnu : {input}."),
        metadata={"description": "les structures de ce département (code : 15, 2A, 974…)"},
    )
    region = fields.String(
        validate=validate.OneOf(REGION_CODES, error="Code de région inconnu : {input}."),
        metadata={"description": "les structures de cette région (code INSEE : 84…, ou 975… outre-mer)"},
    )


def departments_asked(query: dict[str, Any]) -> tuple[str, ...] | None:
    """The departments whose structures the query asks for: a department, a region's, none at all when a
    department outside the region is asked for (empty), or None for every department."""
    departments: tuple[str, ...] | None = None
    if query.get("region"):
        departments = departments_of(query["region"])
    if query.get("department"):
        department = territory(query["department"]).code
        departments = (department,) if departments is None or department in departments else ()
    return departments
