"""`/api/v1/officers`: the directory of the agency's officers who may sign in to the web front, kept by
administrators and read at sign-in (decision 0042)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, link
from conventions.api.context import unit_of_work
from conventions.domain.officers import OfficerRole
from conventions.service_layer import officers as use_cases
from conventions.service_layer import queries
from conventions.service_layer.commands import CreateOfficer, UpdateOfficer

blp = Blueprint("officers", __name__, url_prefix="/officers", description="Annuaire des agents")

_ROLES = [role.value for role in OfficerRole]
_ROLE_HELP = {"description": "admin, legal (juridique), finance, compliance (conformité) ou auditor"}
# The directory's form is the administrator's: its refusals are said in French under its fields.
_NAME = validate.Length(min=1, max=200, error="Le nom compte de 1 à 200 caractères.")
_EMAIL = validate.Length(max=254, error="L'adresse compte au plus 254 caractères.")
_EMAIL_MESSAGES: dict[str, str | list[Any] | dict[Any, Any]] = {
    "invalid": "Ce n'est pas une adresse électronique valide.",
    "required": "L'adresse est obligatoire.",
}
_ROLE = validate.OneOf(_ROLES, error="Le rôle est l'un de : admin, legal, finance, compliance, auditor.")


class OfficerFieldsSchema(Schema):
    email = fields.Email(required=True, validate=_EMAIL, error_messages=_EMAIL_MESSAGES)
    name = fields.String(
        required=True, validate=_NAME, error_messages={"required": "Le nom est obligatoire."}
    )
    role = fields.String(
        required=True,
        validate=_ROLE,
        metadata=_ROLE_HELP,
        error_messages={"required": "Le rôle est obligatoire."},
    )
    active = fields.Boolean(load_default=True)


class OfficerSchema(OfficerFieldsSchema):
    id = fields.UUID(
        dump_only=True, metadata={"description": "l'identifiant du compte : le `sub` des jetons de l'agent"}
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class OfficerChangesSchema(Schema):
    email = fields.Email(validate=_EMAIL, error_messages=_EMAIL_MESSAGES)
    name = fields.String(validate=_NAME)
    role = fields.String(validate=_ROLE, metadata=_ROLE_HELP)
    active = fields.Boolean(metadata={"description": "false : l'agent ne peut plus se connecter"})


class OfficerQuerySchema(Schema):
    email = fields.String(
        validate=validate.Length(min=3, max=254), metadata={"description": "l'adresse exacte, sans casse"}
    )
    role = fields.String(validate=validate.OneOf(_ROLES))
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "nom ou adresse"})


@blp.route("")
class Officers(MethodView):
    @blp.roles(Role.ADMIN)
    @blp.arguments(OfficerFieldsSchema)
    @blp.response(201, OfficerSchema)
    @blp.links(
        201,
        GetOfficer=link("/officers/{officer_id}", "get", officer_id="$response.body#/id"),
        UpdateOfficer=link("/officers/{officer_id}", "patch", officer_id="$response.body#/id"),
    )
    @blp.alt_response(409, description="adresse déjà dans l'annuaire")
    def post(self, fields: dict[str, Any]) -> Any:
        """Add an officer to the directory: their account id is new and never reused."""
        with unit_of_work() as uow:
            return use_cases.create_officer(
                uow, CreateOfficer(**{**fields, "role": OfficerRole(fields["role"])})
            )

    @blp.roles(*READERS)
    @blp.arguments(OfficerQuerySchema, location="query")
    @blp.response(200, OfficerSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """The officers by name; `email` finds one by address, as the web front's sign-in does."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.officers(
                uow,
                queries.OfficerFilters(**query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/<uuid:officer_id>")
class OfficerById(MethodView):
    @blp.roles(*READERS)
    @blp.response(200, OfficerSchema)
    def get(self, officer_id: uuid.UUID) -> Any:
        """One officer of the directory."""
        with unit_of_work(read_only=True) as uow:
            return queries.officer(uow, officer_id)

    @blp.roles(Role.ADMIN)
    @blp.arguments(OfficerChangesSchema)
    @blp.response(200, OfficerSchema)
    @blp.alt_response(409, description="adresse déjà dans l'annuaire")
    def patch(self, changes: dict[str, Any], officer_id: uuid.UUID) -> Any:
        """Change an officer's address, name or role, or deactivate them (`active: false`)."""
        if "role" in changes:
            changes["role"] = OfficerRole(changes["role"])
        with unit_of_work() as uow:
            return use_cases.update_officer(uow, UpdateOfficer(officer_id=officer_id, **changes))
