"""`/conventions/{id}/signed-copy` and `/signed-copies`: the countersigned convention, uploaded and served."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import current_principal
from conventions.api.documents import adapters, blp, read_upload, reader, settings, unit_of_work
from conventions.service_layer.documents import (
    DownloadSignedCopy,
    StoreSignedCopy,
    download_signed_copy,
    list_signed_copies,
    store_signed_copy,
)


class FileSchema(Schema):
    file = Upload(required=True)


class CheckedSignatureSchema(Schema):
    field = fields.String()
    signer = fields.String()
    issuer = fields.String()
    signed_at = fields.String(allow_none=True, metadata={"description": "la date que la signature déclare"})
    intact = fields.Boolean()
    trusted = fields.Boolean(metadata={"description": "le certificat remonte à une autorité de confiance"})
    ours = fields.Boolean(metadata={"description": "le cachet électronique de l'agence"})
    revision_sha256 = fields.String()
    changes_after = fields.String()
    problem = fields.String(allow_none=True)


class SignedCopySchema(Schema):
    id = fields.UUID()
    convention_id = fields.UUID()
    sha256 = fields.String()
    file_name = fields.String()
    size_bytes = fields.Integer()
    pages = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.AwareDateTime()
    signatures = fields.List(fields.Nested(CheckedSignatureSchema))
    agency_seal = fields.String(
        metadata={"description": "notre cachet dans la copie : intact, altered (modifiée après) ou absent"}
    )


@blp.route("/conventions/<uuid:convention_id>/signed-copy")
class SignedCopyUpload(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, SignedCopySchema)
    def post(self, files: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Upload the countersigned convention: a plain PDF (not encrypted, no scripts), hashed and kept;
        each signature is validated (intact, trusted, the agency's seal) and the result kept."""
        content, name = read_upload(settings().signed_copy_max_bytes)
        command = StoreSignedCopy(convention_id, content, name, current_principal())
        with unit_of_work() as uow:
            return store_signed_copy(uow, command, adapters())


@blp.route("/conventions/<uuid:convention_id>/signed-copies")
class SignedCopies(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, SignedCopySchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """The countersigned copies uploaded for the convention, the newest first."""
        with unit_of_work(read_only=True) as uow:
            return list_signed_copies(uow, convention_id, reader())


@blp.route("/conventions/<uuid:convention_id>/signed-copies/<uuid:copy_id>")
class SignedCopyFile(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.doc(
        responses={
            "200": {
                "description": "La copie signée (PDF), avec X-Document-SHA256",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, convention_id: uuid.UUID, copy_id: uuid.UUID) -> Any:
        """A countersigned copy as uploaded, checked against its SHA-256; every download is logged."""
        with unit_of_work() as uow:
            copy, content = download_signed_copy(
                uow, DownloadSignedCopy(convention_id, copy_id, reader()), adapters()
            )
        return Response(
            content,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="convention-signee-{copy.sha256[:12]}.pdf"',
                "X-Document-SHA256": copy.sha256,
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
