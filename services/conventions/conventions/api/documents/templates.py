"""`/templates`: the three templates, their versions, and the upload of a new version."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import legal_date
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import current_principal
from conventions.api.documents import adapters, blp, read_upload, settings, today, unit_of_work
from conventions.api.documents.signed_copies import FileSchema
from conventions.service_layer.documents import (
    UploadTemplateVersion,
    check_template_name,
    list_template_versions,
    templates_in_force,
    upload_template_version,
)


class TemplateVersionFormSchema(Schema):
    effective_from = legal_date(required=True, metadata={"description": "première date juridique couverte"})


class TemplateVersionSchema(Schema):
    sha256 = fields.String(metadata={"description": "identifiant de la version"})
    template_name = fields.String()
    effective_from = fields.Date()
    size_bytes = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.AwareDateTime()


class TemplateSchema(Schema):
    name = fields.String()
    version_in_force = fields.Nested(TemplateVersionSchema)


@blp.route("/templates")
class Templates(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, TemplateSchema(many=True))
    def get(self) -> Any:
        """The three templates and the version in force today."""
        with unit_of_work(read_only=True) as uow:
            return templates_in_force(uow, today(), adapters())


@blp.route("/templates/<string:template_name>/versions")
class TemplateVersions(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, TemplateVersionSchema(many=True))
    def get(self, template_name: str) -> Any:
        """Every version of a template, the newest first."""
        with unit_of_work(read_only=True) as uow:
            return list_template_versions(uow, template_name, adapters())

    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(TemplateVersionFormSchema, location="form")
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, TemplateVersionSchema)
    @blp.alt_response(409, description="Cette version existe déjà")
    def post(self, form: dict[str, Any], files: dict[str, Any], template_name: str) -> Any:
        """Upload a DOCX as a new version: linted against the data the template receives."""
        check_template_name(template_name)  # an unknown template is a 404 before any upload check
        content, _ = read_upload(settings().template_max_bytes)
        command = UploadTemplateVersion(
            template_name, content, form["effective_from"], current_principal().sub
        )
        with unit_of_work() as uow:
            return upload_template_version(uow, command, adapters())
