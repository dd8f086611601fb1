"""The one blueprint of the compliance API (its resources' views register on it, in api/<resource>.py),
and what those views share: the unit of work, the adapters, the upload reader, the visibility checks."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import request

from cnum_shared.framework.uploads import safe_file_name
from cnum_shared.framework.web import Blueprint, abort, ensure_structure_visible, service_context
from compliance.config import ComplianceSettings
from compliance.service_layer import queries
from compliance.service_layer.unit_of_work import UnitOfWork

blp = Blueprint("obligations", __name__, url_prefix="", description="Obligations des structures")

OBLIGATION_NOT_FOUND = "Obligation introuvable."
CONTRACT_NOT_FOUND = "Contrat inconnu du suivi des obligations."


def unit_of_work(*, read_only: bool = False) -> UnitOfWork:
    """The service's unit of work (the bootstrap's `SqlUnitOfWork`)."""
    return cast(UnitOfWork, service_context().unit_of_work(read_only=read_only))


def adapters() -> Any:
    """The adapters the bootstrap built (`mailer`, `files`)."""
    return service_context().adapters


def settings() -> ComplianceSettings:
    settings = service_context().settings
    assert isinstance(settings, ComplianceSettings)
    return settings


def read_upload(max_bytes: int) -> tuple[bytes, str]:
    """The uploaded `file` (413 when larger than `max_bytes`) and its name, kept as text only."""
    storage = request.files["file"]
    content = storage.stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        return abort(413, f"Fichier trop volumineux : {max_bytes // (1024 * 1024)} Mo au plus.")  # type: ignore[no-any-return]
    return content, safe_file_name(storage.filename, "justificatif")


def visible_obligation(obligation_id: uuid.UUID) -> Any:
    """The obligation, or the 404 of one that does not exist (another structure's included)."""
    with unit_of_work(read_only=True) as uow:
        obligation = queries.obligation(uow, obligation_id)
    ensure_structure_visible(obligation.structure_id, OBLIGATION_NOT_FOUND)
    return obligation


def visible_contract(contract_id: uuid.UUID) -> Any:
    """The contract, or the 404 of one compliance does not know (another structure's included)."""
    with unit_of_work(read_only=True) as uow:
        contract = queries.contract(uow, contract_id)
    ensure_structure_visible(contract.structure_id, CONTRACT_NOT_FOUND)
    return contract
