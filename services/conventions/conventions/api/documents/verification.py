"""`POST /documents/verify`: is this PDF one of ours, and untouched? (the agency's electronic seal)"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.framework.auth import READERS, Role
from conventions.api.documents import adapters, blp, read_upload, reader, settings, unit_of_work
from conventions.api.documents.signed_copies import CheckedSignatureSchema, FileSchema
from conventions.service_layer.documents import VerifyDocument, verify_document


class VerifiedDocumentSchema(Schema):
    id = fields.UUID()
    template_name = fields.String()
    convention_id = fields.UUID()
    subject_id = fields.UUID()
    created_at = fields.AwareDateTime()


class VerificationSchema(Schema):
    ours = fields.Boolean(
        metadata={"description": "notre cachet, intact, sur un document que nous avons émis"}
    )
    intact = fields.Boolean(
        metadata={"description": "notre cachet se vérifie et seules des signatures ont suivi"}
    )
    document = fields.Nested(VerifiedDocumentSchema, allow_none=True)
    signatures = fields.List(fields.Nested(CheckedSignatureSchema))


@blp.route("/documents/verify")
class DocumentVerification(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FileSchema, location="files")
    @blp.response(200, VerificationSchema)
    def post(self, files: dict[str, Any]) -> Any:
        """Check a PDF's signatures: whether it carries the agency's seal, intact, on a document we
        generated (found by the SHA-256 of the file as sealed). A structure is told about another
        structure's document only that it is ours and intact, not which one."""
        content, _ = read_upload(settings().signed_copy_max_bytes)
        with unit_of_work(read_only=True) as uow:
            return verify_document(uow, VerifyDocument(content, reader()), adapters())
