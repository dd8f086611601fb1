"""Documents over HTTP: downloads (logged), template versions, the countersigned copy."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from cnum_shared.core.wire import legal_date
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.uploads import safe_file_name
from cnum_shared.framework.web import (
    Blueprint,
    abort,
    client_address,
    current_principal,
    ensure_structure_visible,
    service_context,
)
from conventions.adapters.converter import ConversionFailed, ConverterBusy, ConverterUnavailable, PdfConverter
from conventions.adapters.pdf import InvalidPdf
from conventions.api.conventions import refuse as refuse_convention
from conventions.api.conventions import visible_convention
from conventions.config import ConventionsSettings
from conventions.service_layer import contracts as contract_use_cases
from conventions.service_layer import conventions as convention_use_cases
from conventions.service_layer import documents as use_cases

blp = Blueprint("documents", __name__, url_prefix="", description="Documents et modèles")

FORMATS = ("pdf", "docx")


class FormatSchema(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(FORMATS))


class DownloadSchema(Schema):
    id = fields.UUID()
    template_name = fields.String()
    subject_id = fields.UUID()
    downloaded_by = fields.String()
    role = fields.String()
    format = fields.String()
    sha256 = fields.String(metadata={"description": "SHA-256 du document téléchargé"})
    template_sha256 = fields.String(
        allow_none=True, metadata={"description": "version du modèle (SHA-256) ; vide pour une copie signée"}
    )
    client_address = fields.String(allow_none=True)
    downloaded_at = fields.AwareDateTime()


class FileSchema(Schema):
    file = Upload(required=True)


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


class SignedCopySchema(Schema):
    id = fields.UUID()
    convention_id = fields.UUID()
    sha256 = fields.String()
    file_name = fields.String()
    size_bytes = fields.Integer()
    pages = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.AwareDateTime()


_DOCUMENT_RESPONSES = {
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
_PURGEABLE_DOCUMENT_RESPONSES = {
    **_DOCUMENT_RESPONSES,
    "410": {
        "description": "Supprimé avec les données personnelles du conseiller, au terme de leur durée de "
        "conservation : la date et l'empreinte SHA-256 du document supprimé"
    },
}


def _settings() -> ConventionsSettings:
    settings = service_context().settings
    assert isinstance(settings, ConventionsSettings)
    return settings


def _converter() -> PdfConverter:
    settings = _settings()
    return PdfConverter(settings.converter_url, settings.converter_timeout_seconds)


def _serve(uow: Any, render: Any) -> Any:
    """Render (or reuse) the document, log the download in the same breath, and send the bytes."""
    try:
        stored = render()
    except ConverterBusy as error:
        return abort(
            503,
            "Le convertisseur PDF est occupé : réessayez dans un instant.",
            headers={"Retry-After": str(error.retry_after)},
        )
    except (ConverterUnavailable, ConversionFailed):
        return abort(
            503, "Le convertisseur PDF est indisponible : réessayez plus tard.", headers={"Retry-After": "5"}
        )
    except use_cases.DocumentPurged as error:
        return abort(
            410,
            str(error),
            errors={
                "purged_on": error.purged_on.isoformat(),
                "documents": [{"format": fmt, "sha256": sha256} for fmt, sha256 in error.purged],
            },
        )
    except use_cases.DocumentNotAvailable:
        return abort(404, "Document introuvable.")
    except use_cases.TemplateUnusable as error:
        return abort(409, str(error))
    principal = current_principal()
    use_cases.record_download(
        uow, stored.record, who=principal.sub, role=principal.role.value, client_address=client_address()
    )
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


def _today() -> Any:
    return service_context().today()


@blp.route("/conventions/<uuid:convention_id>/document")
class ConventionDocument(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=_DOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """The subsidy convention as PDF or DOCX; every download is logged."""
        settings = _settings()
        with service_context().database.unit_of_work() as uow:
            visible_convention(uow, convention_id)
            return _serve(
                uow,
                lambda: use_cases.convention_document(
                    uow, convention_id, query["format"], settings.var_dir, _converter().convert, _today()
                ),
            )


@blp.route("/conventions/<uuid:convention_id>/amendments/<uuid:amendment_id>/document")
class AmendmentDocument(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=_DOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], convention_id: uuid.UUID, amendment_id: uuid.UUID) -> Any:
        """A convention avenant as PDF or DOCX; every download is logged."""
        settings = _settings()
        with service_context().database.unit_of_work() as uow:
            visible_convention(uow, convention_id)
            try:
                convention_use_cases.get_amendment(uow, convention_id, amendment_id)
            except convention_use_cases.AmendmentNotFound as error:
                return refuse_convention(error)
            return _serve(
                uow,
                lambda: use_cases.amendment_document(
                    uow,
                    convention_id,
                    amendment_id,
                    query["format"],
                    settings.var_dir,
                    _converter().convert,
                    _today(),
                ),
            )


@blp.route("/contracts/<uuid:contract_id>/amendment")
class ContractAvenantDocument(MethodView):
    # DESIGN §5: legal officers and the contract's own structure (and admins, who see advisors' personal
    # data); never auditors, though they read everything else.
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses=_PURGEABLE_DOCUMENT_RESPONSES)
    def get(self, query: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """The employment-contract avenant of a CDI employee moved to the post (404 for other contracts)."""
        settings = _settings()
        with service_context().database.unit_of_work() as uow:
            try:
                contract = contract_use_cases.get_contract(uow, contract_id)
            except contract_use_cases.ContractNotFound:
                return abort(404, "Contrat introuvable.")
            ensure_structure_visible(contract.structure_id, "Contrat introuvable.")
            return _serve(
                uow,
                lambda: use_cases.contract_avenant_document(
                    uow, contract, query["format"], settings.var_dir, _converter().convert, _today()
                ),
            )


@blp.route("/conventions/<uuid:convention_id>/downloads")
class Downloads(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, DownloadSchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """Who downloaded the convention's documents: who, role, when, format, hashes, client address."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                return use_cases.list_downloads(uow, convention_id)
            except convention_use_cases.ConventionNotFound as error:
                return refuse_convention(error)


def read_upload(limit: int) -> tuple[bytes, str]:
    """The uploaded file's bytes and the name given, refusing what is too large with a 413."""
    storage = request.files.get("file")
    if storage is None:
        abort(422, "Fichier manquant.", errors={"files": {"file": ["Champ « file » obligatoire."]}})
    assert storage is not None
    content = storage.stream.read(limit + 1)
    if len(content) > limit:
        abort(413, f"Fichier trop volumineux : {limit // (1024 * 1024)} Mo au plus.")
    # The name is kept as text only: it is never used as a path.
    return content, safe_file_name(storage.filename, "document")


@blp.route("/conventions/<uuid:convention_id>/signed-copy")
class SignedCopyUpload(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, SignedCopySchema)
    def post(self, files: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """Upload the countersigned convention: a plain PDF (not encrypted, no scripts), hashed and kept."""
        settings = _settings()
        content, name = read_upload(settings.signed_copy_max_bytes)
        with service_context().database.unit_of_work() as uow:
            visible_convention(uow, convention_id)
            try:
                return use_cases.store_signed_copy(
                    uow, convention_id, content, name, current_principal().sub, settings.var_dir
                )
            except InvalidPdf as error:
                return abort(422, str(error), errors={"files": {"file": [str(error)]}})


@blp.route("/conventions/<uuid:convention_id>/signed-copies")
class SignedCopies(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, SignedCopySchema(many=True))
    def get(self, convention_id: uuid.UUID) -> Any:
        """The countersigned copies uploaded for the convention, the newest first."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            visible_convention(uow, convention_id)
            return use_cases.list_signed_copies(uow, convention_id)


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
        with service_context().database.unit_of_work() as uow:
            visible_convention(uow, convention_id)
            try:
                copy, content = use_cases.read_signed_copy(uow, convention_id, copy_id, _settings().var_dir)
            except use_cases.DocumentNotAvailable as error:
                return abort(404, f"Copie signée indisponible : {error}.")
            principal = current_principal()
            use_cases.record_signed_copy_download(
                uow, copy, who=principal.sub, role=principal.role.value, client_address=client_address()
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


@blp.route("/templates")
class Templates(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, TemplateSchema(many=True))
    def get(self) -> Any:
        """The three templates and the version in force today."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            return [
                {"name": name, "version_in_force": use_cases.template_in_force(uow, name, _today())}
                for name in use_cases.TEMPLATE_NAMES
            ]


@blp.route("/templates/<string:template_name>/versions")
class TemplateVersions(MethodView):
    @blp.roles(Role.LEGAL, *READERS)
    @blp.response(200, TemplateVersionSchema(many=True))
    def get(self, template_name: str) -> Any:
        """Every version of a template, the newest first."""
        _known_template(template_name)
        with service_context().database.unit_of_work(read_only=True) as uow:
            return use_cases.list_template_versions(uow, template_name)

    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(TemplateVersionFormSchema, location="form")
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, TemplateVersionSchema)
    @blp.alt_response(409, description="Cette version existe déjà")
    def post(self, form: dict[str, Any], files: dict[str, Any], template_name: str) -> Any:
        """Upload a DOCX as a new version: linted against the data the template receives."""
        _known_template(template_name)
        content, _ = read_upload(_settings().template_max_bytes)
        with service_context().database.unit_of_work() as uow:
            use_cases.ensure_built_in_templates(uow)
            try:
                return use_cases.upload_template_version(
                    uow, template_name, content, form["effective_from"], current_principal().sub
                )
            except use_cases.TemplateRejected as error:
                return abort(422, "Modèle refusé.", errors={"template": error.problems})
            except use_cases.TemplateVersionExists:
                return abort(409, "Cette version du modèle est déjà enregistrée.")


def _known_template(template_name: str) -> None:
    if template_name not in use_cases.TEMPLATE_NAMES:
        abort(404, f"Modèle inconnu : {template_name[:40]}.")
