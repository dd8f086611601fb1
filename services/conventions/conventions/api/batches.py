"""`/api/v1/document-batches`: many conventions rendered in the background, with progress, as a ZIP."""

from __future__ import annotations

import uuid
from typing import Any

from flask import send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, abort, current_principal, link, service_context
from conventions.config import ConventionsSettings
from conventions.service_layer import batches as use_cases
from conventions.service_layer.batches import MAX_BATCH_SIZE

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
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
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
        return (100 * (batch.done + batch.failed)) // batch.total if batch.total else 100


def _refuse(error: Exception) -> Any:
    if isinstance(error, use_cases.InvalidBatch):
        return abort(422, "Lot invalide.", errors={"json": error.problems})
    if isinstance(error, use_cases.BatchNotReady):
        return abort(409, "Le lot n'est pas terminé.", headers={"Retry-After": "5"})
    return abort(404, "Lot introuvable.")


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
        with service_context().database.unit_of_work() as uow:
            try:
                return use_cases.request_batch(
                    uow, body["convention_ids"], body["format"], current_principal().sub
                )
            except use_cases.InvalidBatch as error:
                return _refuse(error)


@blp.route("/<uuid:batch_id>")
class BatchById(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, BatchSchema)
    def get(self, batch_id: uuid.UUID) -> Any:
        """A batch and its progress."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                return use_cases.get_batch(uow, batch_id)
            except use_cases.BatchNotFound as error:
                return _refuse(error)


@blp.route("/<uuid:batch_id>/archive")
class BatchArchive(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.doc(responses={"200": {"description": "ZIP des documents", "content": {"application/zip": {}}}})
    def get(self, batch_id: uuid.UUID) -> Any:
        """The ZIP of a finished batch (409 while it runs)."""
        settings = service_context().settings
        assert isinstance(settings, ConventionsSettings)
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                path = use_cases.archive_path(uow, batch_id, settings.var_dir)
            except (use_cases.BatchNotFound, use_cases.BatchNotReady) as error:
                return _refuse(error)
        return send_file(
            path, mimetype="application/zip", as_attachment=True, download_name=f"lot-{batch_id}.zip"
        )
