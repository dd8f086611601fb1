"""Evidence of an obligation over HTTP: upload a revision, list them."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import current_principal
from compliance.api.blueprint import adapters, blp, read_upload, settings, unit_of_work, visible_obligation
from compliance.api.schemas import EvidenceSchema, FileSchema
from compliance.service_layer import queries
from compliance.service_layer.commands import AddEvidence
from compliance.service_layer.evidence import add_evidence


@blp.route("/obligations/<uuid:obligation_id>/evidence")
class EvidenceView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, EvidenceSchema)
    def post(self, files: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Upload a PDF, PNG or JPEG (checked by content) as a new revision; an officer then accepts it."""
        content, name = read_upload(settings().evidence_max_bytes)
        visible_obligation(obligation_id)
        command = AddEvidence(obligation_id, content, name, current_principal().sub)
        with unit_of_work() as uow:
            return add_evidence(uow, command, adapters().files)

    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, EvidenceSchema(many=True))
    def get(self, obligation_id: uuid.UUID) -> Any:
        """Every revision of the evidence, the newest first."""
        visible_obligation(obligation_id)
        with unit_of_work(read_only=True) as uow:
            return queries.evidence(uow, obligation_id)
