"""Use cases on host structures; each runs in one unit of work and emits `structure.updated`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.db import UnitOfWork, utcnow
from cnum_shared.events.outbox import emit
from conventions.adapters.orm import Structure, event_tables
from conventions.domain.structures import InvalidStructure, normalized_iban, structure_problems


class StructureNotFound(LookupError):
    pass


class DuplicateSiret(ValueError):
    def __init__(self, siret: str) -> None:
        super().__init__(f"Une structure avec le SIRET {siret} existe déjà.")


@dataclass(frozen=True)
class StructureFilters:
    department: str | None = None
    kind: str | None = None
    #: Searched in the name (case-insensitive) and the SIRET.
    q: str | None = None


def structure_event_data(structure: Structure) -> dict[str, Any]:
    return {
        "structure_id": structure.id,
        "name": structure.name,
        "siret": structure.siret,
        "kind": structure.kind,
        "structure_type": structure.structure_type,
        "department": structure.department,
        "address": structure.address,
        "postcode": structure.postcode,
        "city": structure.city,
        "email": structure.email,
        "qpv_zrr": structure.qpv_zrr,
        "iban": structure.iban,
        "bic": structure.bic,
    }


def save_structure(uow: UnitOfWork, structure: Structure) -> Structure:
    """Commit the structure with its `structure.updated` event; a SIRET taken meanwhile is a duplicate."""
    try:
        emit(
            uow.session,
            event_tables,
            producer="conventions",
            event_type="structure.updated",
            data=structure_event_data(structure),
        )
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise DuplicateSiret(structure.siret) from None
    return structure


def create_structure(uow: UnitOfWork, fields: Mapping[str, Any]) -> Structure:
    """Register a host structure; refuses invalid identity or bank details and a known SIRET."""
    problems = structure_problems(fields)
    if problems:
        raise InvalidStructure(problems)
    values = dict(fields)
    values["iban"] = normalized_iban(str(values["iban"]))
    values["department"] = str(values["department"]).upper()
    if uow.session.scalar(select(Structure.id).where(Structure.siret == values["siret"])) is not None:
        raise DuplicateSiret(str(values["siret"]))
    now = utcnow()
    structure = Structure(id=uuid.uuid4(), created_at=now, updated_at=now, **values)
    uow.session.add(structure)
    return save_structure(uow, structure)


def update_structure(uow: UnitOfWork, structure_id: uuid.UUID, changes: Mapping[str, Any]) -> Structure:
    """Change some fields; the rules are checked on the structure as it would become."""
    structure = uow.session.get(Structure, structure_id)
    if structure is None:
        raise StructureNotFound(structure_id)
    # Rules that tie fields together are checked on the structure as it would become.
    merged = {
        key: changes.get(key, getattr(structure, key))
        for key in ("kind", "structure_type", "department", "postcode")
    }
    problems = structure_problems(merged)
    if "siret" in changes:
        problems.update(structure_problems({"siret": changes["siret"]}))
    if problems:
        raise InvalidStructure(problems)
    for key, value in changes.items():
        setattr(structure, key, str(value).upper() if key == "department" else value)
    structure.updated_at = utcnow()
    return save_structure(uow, structure)


def get_structure(uow: UnitOfWork, structure_id: uuid.UUID) -> Structure:
    structure = uow.session.get(Structure, structure_id)
    if structure is None:
        raise StructureNotFound(structure_id)
    return structure


def list_structures(
    uow: UnitOfWork, filters: StructureFilters, offset: int, limit: int
) -> tuple[Sequence[Structure], int]:
    """A page of structures by name, and how many match in all."""
    statement = select(Structure)
    if filters.department:
        statement = statement.where(Structure.department == filters.department.upper())
    if filters.kind:
        statement = statement.where(Structure.kind == filters.kind)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        statement = statement.where(
            or_(func.lower(Structure.name).like(pattern), Structure.siret.like(pattern))
        )
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = uow.session.scalars(
        statement.order_by(Structure.name, Structure.id).offset(offset).limit(limit)
    ).all()
    return page, total
