"""`/api/v1/structures/{id}/bank-details`: a new IBAN, asked with the RIB, confirmed by another officer."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, current_principal, link, service_context
from conventions.api.context import read_upload, unit_of_work
from conventions.config import ConventionsSettings
from conventions.domain.structures import BankDetailsStatus
from conventions.service_layer import bank_details as use_cases
from conventions.service_layer import queries
from conventions.service_layer.commands import ConfirmBankDetailsChange, RequestBankDetailsChange

blp = Blueprint("bank_details", __name__, url_prefix="/structures", description="Coordonnées bancaires")


class BankDetailsFormSchema(Schema):
    iban = fields.String(required=True, validate=validate.Length(min=15, max=42))
    bic = fields.String(load_default=None, validate=validate.Length(min=8, max=11))


class RibSchema(Schema):
    file = Upload(required=True, metadata={"description": "le RIB : PDF, PNG ou JPEG"})


class BankDetailsChangeSchema(Schema):
    id = fields.UUID()
    structure_id = fields.UUID()
    iban = fields.String()
    bic = fields.String(allow_none=True)
    rib_sha256 = fields.String()
    rib_media_type = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in BankDetailsStatus]})
    requested_by = fields.String()
    requested_at = fields.AwareDateTime()
    confirmed_by = fields.String(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)


@blp.route("/<uuid:structure_id>/bank-details")
class BankDetails(MethodView):
    @blp.roles(Role.LEGAL, Role.FINANCE)
    @blp.arguments(BankDetailsFormSchema, location="form")
    @blp.arguments(RibSchema, location="files")
    @blp.response(201, BankDetailsChangeSchema)
    @blp.links(
        201,
        ConfirmBankDetails=link(
            "/structures/{structure_id}/bank-details/{change_id}/confirm",
            "post",
            structure_id="$request.path.structure_id",
            change_id="$response.body#/id",
        ),
    )
    def post(self, form: dict[str, Any], files: dict[str, Any], structure_id: uuid.UUID) -> Any:
        """Ask for a new IBAN with the RIB; it applies once another officer confirms it."""
        settings = service_context().settings
        assert isinstance(settings, ConventionsSettings)
        rib, _ = read_upload(settings.signed_copy_max_bytes)
        with unit_of_work() as uow:
            return use_cases.request_change(
                uow,
                RequestBankDetailsChange(
                    structure_id, form["iban"], form["bic"], rib, current_principal().sub
                ),
            )

    @blp.roles(Role.LEGAL, Role.FINANCE, *READERS)
    @blp.response(200, BankDetailsChangeSchema(many=True))
    def get(self, structure_id: uuid.UUID) -> Any:
        """The bank-details changes of a structure, the newest first."""
        with unit_of_work(read_only=True) as uow:
            return queries.bank_details_changes(uow, structure_id)


@blp.route("/<uuid:structure_id>/bank-details/<uuid:change_id>/confirm")
class ConfirmBankDetails(MethodView):
    @blp.roles(Role.LEGAL, Role.FINANCE)
    @blp.response(200, BankDetailsChangeSchema)
    def post(self, structure_id: uuid.UUID, change_id: uuid.UUID) -> Any:
        """Confirm a change asked by another officer: the IBAN changes and payments are told."""
        with unit_of_work() as uow:
            return use_cases.confirm_change(
                uow, ConfirmBankDetailsChange(structure_id, change_id, current_principal().sub)
            )
