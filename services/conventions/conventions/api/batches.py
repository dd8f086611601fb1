"""`/api/v1/document-batches`: many conventions rendered in the background, with progress, as a ZIP."""

from __future__ import annotations

import uuid
from typing import Any

from flask import send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, current_principal, link
from conventions.api.documents import adapters, unit_of_work
from conventions.domain.document_batches import MAX_BATCH_SIZE, BatchStatus, progress
from conventions.service_layer.batches import archive_path, get_batch, request_batch
from conventions.service_layer.documents import RequestBatch

blp = Blueprint("document_batches", __name__, url_prefix="/document-batches", description="Lots de documents")


class BatchRequestSchema(Schema):
    convention_ids = fields.List(
        fields.UUID(),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_BATCH_SIZE),
        metadata={"description": "absent : toutes les conventions signées"},
    )
    format = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "docx")))


class BatchSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": [status.value for status in BatchStatus]})
    format = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    failed = fields.Integer()
    progress = fields.Method("_progress", metadata={"description": "part traitée, de 0 à 100"})
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)

    def _progress(self, batch: Any) -> int:
        return progress(batch.done, batch.failed, batch.total)


@blp.route("")
class Batches(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(BatchRequestSchema)
    @blp.response(202, BatchSchema)
    @blp.links(
        202,
        GetBatch=link("/document-batches/{batch_id}", "get", batch_id="$response.body#/id"),
        BatchArchive=link("/document-batches/{batch_id}/archive", "get", batch_id="$response.body#/id"),
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Queue a batch; the scheduler renders it (follow `progress` with GET, then fetch the archive)."""
        command = RequestBatch(body["convention_ids"], body["format"], current_principal().sub)
        with unit_of_work() as uow:
            return request_batch(uow, command)


@blp.route("/<uuid:batch_id>")
class BatchById(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, BatchSchema)
    def get(self, batch_id: uuid.UUID) -> Any:
        """A batch and its progress."""
        with unit_of_work(read_only=True) as uow:
            return get_batch(uow, batch_id)


@blp.route("/<uuid:batch_id>/archive")
class BatchArchive(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.doc(responses={"200": {"description": "ZIP des documents", "content": {"application/zip": {}}}})
    def get(self, batch_id: uuid.UUID) -> Any:
        """The ZIP of a finished batch (409 while it runs)."""
        with unit_of_work(read_only=True) as uow:
            path = archive_path(uow, batch_id, adapters())
        return send_file(
            path, mimetype="application/zip", as_attachment=True, download_name=f"lot-{batch_id}.zip"
        )
