"""A structure's new bank details: requested with the RIB by one officer, confirmed by another.

Until the confirmation, payments keep paying the IBAN they know: the change reaches them with the
`structure.updated` event that the confirmation emits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.uploads import InvalidUpload, checked_media_type, write_atomically
from conventions.adapters.orm import BankDetailsChange
from conventions.domain.structures import InvalidStructure, normalized_iban, structure_problems
from conventions.service_layer.structures import get_structure, save_structure


class BankDetailsChangeNotFound(LookupError):
    pass


class BankDetailsConflict(Exception):
    """Already confirmed (a 409)."""


class SameOfficer(Exception):
    """The officer who asked for the change cannot confirm it (a 403)."""


class InvalidRib(ValueError):
    """The RIB is not a PDF, PNG or JPEG we accept."""


def rib_media_type(content: bytes) -> str:
    """The RIB's type, read from its content and then parsed whole as that type (a PNG decoded to its
    last pixel, a PDF without active content): never from its name or the client's claim."""
    try:
        return checked_media_type(content)
    except InvalidUpload as error:
        raise InvalidRib(f"Le RIB doit être un PDF, un PNG ou un JPEG : {error}") from None


def request_change(
    uow: UnitOfWork,
    structure_id: uuid.UUID,
    iban: str,
    bic: str | None,
    rib: bytes,
    requested_by: str,
    var_dir: Path,
) -> BankDetailsChange:
    structure = get_structure(uow, structure_id)
    problems = structure_problems({"iban": iban, "bic": bic})
    if problems:
        raise InvalidStructure(problems)
    media_type = rib_media_type(rib)
    sha256 = hashlib.sha256(rib).hexdigest()
    relative = f"ribs/{structure.id}/{sha256}"
    write_atomically(var_dir / relative, rib)
    change = BankDetailsChange(
        id=uuid.uuid4(),
        structure_id=structure.id,
        iban=normalized_iban(iban),
        bic=bic,
        rib_sha256=sha256,
        rib_media_type=media_type,
        rib_path=relative,
        status="pending",
        requested_by=requested_by,
        requested_at=utcnow(),
        confirmed_by=None,
        confirmed_at=None,
    )
    uow.session.add(change)
    uow.commit()
    return change


def confirm_change(
    uow: UnitOfWork, structure_id: uuid.UUID, change_id: uuid.UUID, confirmed_by: str
) -> BankDetailsChange:
    """The second officer confirms: the structure's IBAN changes and `structure.updated` tells payments."""
    change = uow.session.get(BankDetailsChange, change_id)
    if change is None or change.structure_id != structure_id:
        raise BankDetailsChangeNotFound(change_id)
    if change.status != "pending":
        raise BankDetailsConflict("Ce changement de coordonnées bancaires est déjà confirmé.")
    if change.requested_by == confirmed_by:
        raise SameOfficer("Un autre agent que le demandeur doit confirmer le changement (double contrôle).")
    structure = get_structure(uow, structure_id)
    structure.iban, structure.bic = change.iban, change.bic
    structure.updated_at = utcnow()
    change.status, change.confirmed_by, change.confirmed_at = "confirmed", confirmed_by, utcnow()
    save_structure(uow, structure)
    return change


def list_changes(uow: UnitOfWork, structure_id: uuid.UUID) -> Sequence[BankDetailsChange]:
    get_structure(uow, structure_id)
    return uow.session.scalars(
        select(BankDetailsChange)
        .where(BankDetailsChange.structure_id == structure_id)
        .order_by(BankDetailsChange.requested_at.desc())
    ).all()
