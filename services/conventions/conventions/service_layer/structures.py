"""Use cases on host structures; each runs in one unit of work and emits `structure.updated`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.core import legal
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.events.outbox import emit
from conventions.adapters.orm import Contract, Structure, event_tables
from conventions.domain.structures import (
    InvalidStructure,
    check_structure,
    normalized_iban,
    normalized_identifier,
)


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


def create_structure(uow: UnitOfWork, fields: Mapping[str, Any], on: date) -> Structure:
    """Register a host structure on `on`; refuses invalid identity or bank details, a type that is not
    eligible, and a known identifier."""
    check_structure(fields, on)
    values = dict(fields)
    values["iban"] = normalized_iban(str(values["iban"]))
    values["department"] = str(values["department"]).upper()
    values["siret"] = normalized_identifier(str(values["siret"]), values["department"])
    if uow.session.scalar(select(Structure.id).where(Structure.siret == values["siret"])) is not None:
        raise DuplicateSiret(str(values["siret"]))
    now = utcnow()
    structure = Structure(id=uuid.uuid4(), created_at=now, updated_at=now, **values)
    uow.session.add(structure)
    return save_structure(uow, structure)


def update_structure(
    uow: UnitOfWork, structure_id: uuid.UUID, changes: Mapping[str, Any], on: date
) -> Structure:
    """Change some fields on `on`; the rules are checked on the structure as it would become."""
    structure = uow.session.get(Structure, structure_id)
    if structure is None:
        raise StructureNotFound(structure_id)
    # Rules that tie fields together (kind and type, department and postcode, department and
    # identifier: a RIDET belongs to New Caledonia) are checked on the structure as it would become.
    merged = {
        key: changes.get(key, getattr(structure, key))
        for key in ("kind", "structure_type", "department", "postcode", "siret")
    }
    check_structure(merged, on)
    department = str(merged["department"]).upper()
    if department != structure.department:
        _check_contracts_can_move(uow, structure, department)
    values = dict(changes)
    if "department" in values:
        values["department"] = department
    if "siret" in values:
        values["siret"] = normalized_identifier(str(values["siret"]), department)
    for key, value in values.items():
        setattr(structure, key, value)
    structure.updated_at = utcnow()
    return save_structure(uow, structure)


def _check_contracts_can_move(uow: UnitOfWork, structure: Structure, department: str) -> None:
    """A structure that employs advisors cannot move where no SMIC can check their salaries (986-988)."""
    if legal.has_smic(territory(department).smic_zone):
        return
    employs = uow.session.scalar(select(Contract.id).where(Contract.structure_id == structure.id).limit(1))
    if employs is not None:
        raise InvalidStructure(
            {
                "department": [
                    f"La structure a des contrats de conseiller : elle ne peut pas être rattachée à "
                    f"{territory(department).name}, où le SMIC ne s'applique pas et où leur salaire ne "
                    "pourrait plus être contrôlé."
                ]
            }
        )


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
