"""A structure's new bank details: requested with the RIB by one officer, confirmed by another.

Until the confirmation, payments keep paying the IBAN they know: the change reaches them with the
`structure.updated` event that the confirmation emits.
"""

from __future__ import annotations

import hashlib
import uuid

from cnum_shared.core.errors import Forbidden, Invalid, NotFound
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import BankDetailsChange
from conventions.domain.structures import (
    BANK_DETAILS_MACHINE,
    BankDetailsAction,
    BankDetailsStatus,
    UnacceptableUpload,
    normalized_iban,
    structure_problems,
)
from conventions.service_layer.commands import ConfirmBankDetailsChange, RequestBankDetailsChange
from conventions.service_layer.structures import announce_structure, get_structure
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


class BankDetailsChangeNotFound(NotFound):
    default_message = "Changement de coordonnées bancaires introuvable."


class SameOfficer(Forbidden):
    """The officer who asked for the change cannot confirm it (a 403)."""

    default_message = "Un autre agent que le demandeur doit confirmer le changement (double contrôle)."


class InvalidBankDetails(Invalid):
    """The IBAN or the BIC is not valid (a 422 under errors.form)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Coordonnées bancaires invalides.", errors={"form": problems})
        self.problems = problems


class InvalidRib(Invalid):
    """The RIB is not a PDF, PNG or JPEG we accept (a 422 under errors.files)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errors={"files": {"file": [message]}})


def rib_media_type(uow: ConventionsUnitOfWork, content: bytes) -> str:
    """The RIB's type, read from its content (never from its name or the client's claim)."""
    try:
        return uow.files.media_type(content)
    except UnacceptableUpload as error:
        raise InvalidRib(f"Le RIB doit être un PDF, un PNG ou un JPEG : {error}") from None


def request_change(uow: ConventionsUnitOfWork, command: RequestBankDetailsChange) -> BankDetailsChange:
    """A new IBAN asked for, with the RIB that proves it; nothing changes until it is confirmed."""
    structure = get_structure(uow, command.structure_id)
    problems = structure_problems({"iban": command.iban, "bic": command.bic}, tree=uow.parameters)
    if problems:
        raise InvalidBankDetails(problems)
    media_type = rib_media_type(uow, command.rib)
    sha256 = hashlib.sha256(command.rib).hexdigest()
    relative = f"ribs/{structure.id}/{sha256}"
    uow.files.write(relative, command.rib)
    now = utcnow()
    change = BankDetailsChange(
        id=uuid.uuid4(),
        structure_id=structure.id,
        iban=normalized_iban(command.iban),
        bic=command.bic,
        rib_sha256=sha256,
        rib_media_type=media_type,
        rib_path=relative,
        requested_by=command.requested_by,
        requested_at=now,
        confirmed_by=None,
        confirmed_at=None,
    )
    BANK_DETAILS_MACHINE.start(
        change,
        BankDetailsStatus.PENDING,
        actor=command.requested_by,
        reason="RIB déposé",
        at=now,
        log=uow.history,
    )
    uow.bank_details.add(change)
    uow.commit()
    return change


def confirm_change(uow: ConventionsUnitOfWork, command: ConfirmBankDetailsChange) -> BankDetailsChange:
    """The second officer confirms: the structure's IBAN changes and `structure.updated` tells payments."""
    change = uow.bank_details.get(command.change_id)
    if change is None or change.structure_id != command.structure_id:
        raise BankDetailsChangeNotFound()
    BANK_DETAILS_MACHINE.next(change.status, BankDetailsAction.CONFIRM)  # already confirmed: 409
    if change.requested_by == command.confirmed_by:
        raise SameOfficer()
    structure = get_structure(uow, command.structure_id)
    now = utcnow()
    structure.iban, structure.bic = change.iban, change.bic
    structure.updated_at = now
    BANK_DETAILS_MACHINE.apply(
        change,
        BankDetailsAction.CONFIRM,
        actor=command.confirmed_by,
        reason="RIB vérifié",
        at=now,
        log=uow.history,
    )
    change.confirmed_by, change.confirmed_at = command.confirmed_by, now
    announce_structure(uow, structure)
    uow.commit()
    return change
