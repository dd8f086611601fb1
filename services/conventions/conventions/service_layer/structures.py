"""Use cases on host structures; each runs in one unit of work and emits `structure.updated`."""

from __future__ import annotations

import uuid
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.errors import ConcurrentWrite, Conflict, NotFound
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import Structure
from conventions.domain.structures import (
    InvalidStructure,
    check_structure,
    normalized_iban,
    normalized_identifier,
)
from conventions.service_layer.commands import CreateStructure, UpdateStructure
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


class StructureNotFound(NotFound):
    default_message = "Structure introuvable."


class DuplicateSiret(Conflict):
    def __init__(self, siret: str) -> None:
        super().__init__(f"Une structure avec le SIRET {siret} existe déjà.")


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


def announce_structure(uow: ConventionsUnitOfWork, structure: Structure) -> None:
    """The `structure.updated` event that tells payments and compliance the structure as it now is."""
    uow.outbox.emit("structure.updated", structure_event_data(structure))


def create_structure(uow: ConventionsUnitOfWork, command: CreateStructure) -> Structure:
    """Register a host structure on `command.on`; refuses invalid identity or bank details, a type that is
    not eligible, and a known identifier."""
    values = command.identity()
    check_structure(values, command.on, tree=uow.parameters)
    values["iban"] = normalized_iban(str(values["iban"]))
    values["department"] = str(values["department"]).upper()
    values["siret"] = normalized_identifier(str(values["siret"]), values["department"])
    if uow.structures.siret_taken(values["siret"]):
        raise DuplicateSiret(str(values["siret"]))
    now = utcnow()
    structure = Structure(id=uuid.uuid4(), created_at=now, updated_at=now, **values)
    uow.structures.add(structure)
    announce_structure(uow, structure)
    try:
        uow.commit()
    except ConcurrentWrite:  # the same identifier registered at the same moment
        raise DuplicateSiret(str(values["siret"])) from None
    return structure


def update_structure(uow: ConventionsUnitOfWork, command: UpdateStructure) -> Structure:
    """Change some fields on `command.on`; the rules are checked on the structure as it would become."""
    structure = get_structure(uow, command.structure_id)
    changes = command.changes()
    # Rules that tie fields together (kind and type, department and postcode, department and
    # identifier: a RIDET belongs to New Caledonia) are checked on the structure as it would become.
    merged = {
        key: changes.get(key, getattr(structure, key))
        for key in ("kind", "structure_type", "department", "postcode", "siret")
    }
    check_structure(merged, command.on, tree=uow.parameters)
    department = str(merged["department"]).upper()
    if department != structure.department:
        _check_contracts_can_move(uow, structure, department)
    if "department" in changes:
        changes["department"] = department
    if "siret" in changes:
        changes["siret"] = normalized_identifier(str(changes["siret"]), department)
        if uow.structures.siret_taken(changes["siret"], other_than=structure.id):
            raise DuplicateSiret(changes["siret"])
    for key, value in changes.items():
        setattr(structure, key, value)
    structure.updated_at = utcnow()
    announce_structure(uow, structure)
    siret = structure.siret
    try:
        uow.commit()
    except ConcurrentWrite:  # the same identifier given to another structure at the same moment
        raise DuplicateSiret(siret) from None
    return structure


def _check_contracts_can_move(uow: ConventionsUnitOfWork, structure: Structure, department: str) -> None:
    """A structure that employs advisors cannot move where no SMIC can check their salaries (986-988)."""
    if legal.has_smic(territory(department).smic_zone, tree=uow.parameters):
        return
    if uow.structures.employs_advisors(structure.id):
        raise InvalidStructure(
            {
                "department": [
                    f"La structure a des contrats de conseiller : elle ne peut pas être rattachée à "
                    f"{territory(department).name}, où le SMIC ne s'applique pas et où leur salaire ne "
                    "pourrait plus être contrôlé."
                ]
            }
        )


def get_structure(uow: ConventionsUnitOfWork, structure_id: uuid.UUID) -> Structure:
    structure = uow.structures.get(structure_id)
    if structure is None:
        raise StructureNotFound()
    return structure
