"""`/conventions/{id}/document`, `/conventions/{id}/amendments/{id}/document`, `/contracts/{id}/amendment`:
the documents rendered from the templates, every download logged."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from conventions.api.documents import adapters, blp, reader, today, unit_of_work
from conventions.domain.documents import FORMATS
from conventions.service_layer.documents import (
    DownloadAmendmentDocument,
    DownloadContractAvenant,
    DownloadConventionDocument,
    StoredDocument,
    download_amendment_document,
    download_contract_avenant,
    download_convention_document,
)


class FormatSchema(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(FORMATS))


DOCUMENT_RESPONSES = {
    "200": {
        "description": "Le document (PDF ou DOCX), avec X-Document-SHA256 et X-Template-Version",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    },
    "409": {"description": "Le modèle en vigueur ne peut pas produire ce document (rendu démesuré)"},
    "503": {"description": "Convertisseur PDF occupé ou indisponible (Retry-After)"},
}
_PURGEABLEDOCUMENT_RESPONSES = {
    **DOCUMENT_RESPONSES,
    "410": {
        "description": "Supprimé avec les données personnelles du conseiller, au terme de leur durée de "
        "conservation : la date et l'empreinte SHA-256 du document supprimé"
    },
}


def sent(stored: StoredDocument) -> Response:
    return Response(
        stored.content,
        mimetype=stored.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{stored.file_name}"',
            "X-Document-SHA256": stored.record.sha256,
            "X-Template-Version": stored.record.template_sha256,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/conventions/<uuid:convention_id>/document")
class ConventionDocument(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=DOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """The subsidy convention as PDF or DOCX; every download is logged."""
        command = DownloadConventionDocument(convention_id, query["format"], today(), reader())
        with unit_of_work() as uow:
            return sent(download_convention_document(uow, command, adapters()))


@blp.route("/conventions/<uuid:convention_id>/amendments/<uuid:amendment_id>/document")
class AmendmentDocument(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=DOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], convention_id: uuid.UUID, amendment_id: uuid.UUID) -> Any:
        """A convention avenant as PDF or DOCX; every download is logged."""
        command = DownloadAmendmentDocument(convention_id, amendment_id, query["format"], today(), reader())
        with unit_of_work() as uow:
            return sent(download_amendment_document(uow, command, adapters()))


@blp.route("/contracts/<uuid:contract_id>/amendment")
class ContractAvenantDocument(MethodView):
    # DESIGN §5: legal officers and the contract's own structure (and admins, who see advisors' personal
    # data); never auditors, though they read everything else.
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=_PURGEABLEDOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """The employment-contract avenant of a CDI employee moved to the post (404 for other contracts)."""
        command = DownloadContractAvenant(contract_id, query["format"], today(), reader())
        with unit_of_work() as uow:
            return sent(download_contract_avenant(uow, command, adapters()))
