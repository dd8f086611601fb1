"""Names, not ids (decision 0044): officers type a structure's name or SIRET, or a convention's reference,
and the pages show names.

Both go through the conventions service's directory (`/directory/structures`, `/directory/conventions`),
which answers every officer what names a structure or a convention, and nothing more. What an officer
typed is resolved: one match filters by it, several are offered as links, none is said next to the field.
The names behind the ids of a page are asked for in one call, never one per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from web.views.common import services

#: How many matches a filter offers to choose from (the directory's page); more: "précisez".
CHOICES = 20
#: The most ids the directory takes in one call (the services' largest page).
IDS_PER_CALL = 100
#: The longest text the directory searches.
LONGEST_TEXT = 100


@dataclass(frozen=True)
class Choice:
    """One match among several, offered as a link that filters by it."""

    kind: str  # "structure" or "convention"
    id: str
    #: A structure's name, a convention's reference.
    name: str
    detail: str
    siret: str = ""

    @property
    def label(self) -> str:
        return self.name if self.kind == "structure" else f"Convention {self.name}"

    @property
    def args(self) -> dict[str, str]:
        """The query arguments of the page filtered by this match."""
        return {f"{self.kind}_id": self.id}


@dataclass
class NameFilter:
    """A filter on one structure (or one convention), as the officer typed or chose it."""

    #: What the field shows: the text typed, or the name of what was chosen.
    text: str = ""
    structure_id: str = ""
    convention_id: str = ""
    #: Several matches: the officer chooses (the list is not drawn meanwhile).
    choices: list[Choice] = field(default_factory=list)
    #: Matches beyond those offered.
    more: int = 0
    #: Nothing matches: said next to the field.
    error: str = ""

    @property
    def unresolved(self) -> bool:
        """The text names nothing, or several things: there is nothing to filter by yet."""
        return bool(self.choices or self.error)


def as_uuid(value: str | None) -> str:
    """The id as the services write it, or "" when `value` is none."""
    try:
        return str(uuid.UUID(value.strip())) if value and value.strip() else ""
    except ValueError:
        return ""


def structure_names(ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The directory's entry of each of these structures, by id: one call per hundred ids."""
    return _by_id("/directory/structures", ids)


def convention_names(ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The directory's entry (reference, structure) of each of these conventions, by id."""
    return _by_id("/directory/conventions", ids)


def _by_id(path: str, ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    wanted = sorted({as_uuid(str(value)) for value in ids if value} - {""})
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), IDS_PER_CALL):
        chunk = wanted[start : start + IDS_PER_CALL]
        page = services().page("conventions", path, id=chunk, page_size=IDS_PER_CALL)
        found.update({str(item["id"]): item for item in page.items})
    return found


def name_filter(args: Mapping[str, str], *, field_name: str, conventions: bool) -> NameFilter:
    """The filter the page's query asks for: a structure (or convention) chosen by its id from a link,
    else the text of the field `field_name` resolved through the directory."""
    convention_id = as_uuid(args.get("convention_id")) if conventions else ""
    if convention_id:
        found = convention_names([convention_id]).get(convention_id)
        return NameFilter(text=str(found["reference"]) if found else "", convention_id=convention_id)
    structure_id = as_uuid(args.get("structure_id"))
    if structure_id:
        found = structure_names([structure_id]).get(structure_id)
        return NameFilter(text=str(found["name"]) if found else "", structure_id=structure_id)
    text = " ".join(args.get(field_name, "").split())[:LONGEST_TEXT]
    if not text:
        return NameFilter()
    return _resolve(text, conventions=conventions)


def _resolve(text: str, *, conventions: bool) -> NameFilter:
    api = services()
    structures = api.page("conventions", "/directory/structures", q=text, page_size=CHOICES)
    matches = [
        Choice(
            "structure",
            str(item["id"]),
            str(item["name"]),
            f"SIRET {item['siret']} — {item['city']} ({item['department']})",
            siret=str(item["siret"]),
        )
        for item in structures.items
    ]
    total = structures.total
    if conventions:
        found = api.page("conventions", "/directory/conventions", q=text, page_size=CHOICES)
        matches += [
            Choice("convention", str(item["id"]), str(item["reference"]), str(item["structure_name"]))
            for item in found.items
        ]
        total += found.total
    if total == 0:
        what = "Aucune structure ni convention" if conventions else "Aucune structure"
        how = "le nom, le SIRET ou la référence" if conventions else "le nom ou le SIRET"
        return NameFilter(text=text, error=f"{what} ne correspond à « {text} » : vérifiez {how}.")
    exact = [choice for choice in matches if _names_exactly(choice, text)]
    if total == 1 or len(exact) == 1:
        chosen = matches[0] if total == 1 else exact[0]
        if chosen.kind == "convention":
            return NameFilter(text=chosen.name, convention_id=chosen.id)
        return NameFilter(text=chosen.name, structure_id=chosen.id)
    return NameFilter(text=text, choices=matches, more=max(total - len(matches), 0))


def _names_exactly(choice: Choice, text: str) -> bool:
    """The text is the whole name, SIRET or reference of the match (several names may contain it)."""
    return choice.name.casefold() == text.casefold() or (
        bool(choice.siret) and choice.siret == "".join(text.split())
    )
