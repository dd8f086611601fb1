"""`/api/v1/structures`: host structures, created and changed by legal officers."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.identifiers import identifier_kind
from cnum_shared.core.wire import STRUCTURE_KINDS, STRUCTURE_TYPES_ACCEPTED
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    current_principal,
    ensure_structure_visible,
    link,
)
from conventions.api.context import today, unit_of_work
from conventions.service_layer import queries
from conventions.service_layer import structures as use_cases
from conventions.service_layer.commands import CreateStructure, UpdateStructure

blp = Blueprint("structures", __name__, url_prefix="/structures", description="Structures d'accueil")

#: The search of structures, here and in the directory (decision 0044).
SEARCH_HELP = {
    "description": "une partie du nom (sans tenir compte de la casse), ou le SIRET ou son début "
    "(espaces ignorés)"
}


#: The structures of some ids (`?id=…&id=…`): the names behind the ids of a page, in one call.
def ids_filter() -> fields.List[uuid.UUID]:
    return fields.List(
        fields.UUID(),
        data_key="id",
        validate=validate.Length(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"identifiants (au plus {MAX_PAGE_SIZE}, le paramètre répété)"},
    )


#: What a legal officer types: a SIRET, a RIDET or a numéro TAHITI, spaces allowed; the rules check it
#: against the department and store it in one form.
_IDENTIFIER_LENGTH = validate.Length(min=6, max=20)
_IDENTIFIER_HELP = {
    "description": "SIRET (14 chiffres) ; pour une structure de Nouvelle-Calédonie (988), un RIDET "
    "(1234567 ou 1234567.001) ; de Polynésie française (987), un numéro TAHITI (A12345 ou A12345001)"
}


class StructureFieldsSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    siret = fields.String(required=True, validate=_IDENTIFIER_LENGTH, metadata=_IDENTIFIER_HELP)
    kind = fields.String(required=True, validate=validate.OneOf(STRUCTURE_KINDS))
    structure_type = fields.String(required=True, validate=validate.OneOf(STRUCTURE_TYPES_ACCEPTED))
    department = fields.String(required=True, validate=validate.Length(min=2, max=3))
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))
    postcode = fields.String(
        required=True, validate=validate.Regexp(r"^\d{5}$", error="5 chiffres attendus.")
    )
    city = fields.String(required=True, validate=validate.Length(min=1, max=150))
    email = fields.Email(required=True)
    qpv_zrr = fields.Boolean(
        required=True,
        metadata={
            "description": "en quartier prioritaire (QPV) ou en zone rurale aidée : ZRR, remplacée par la "
            "FRR (France Ruralités Revitalisation) le 1er juillet 2024"
        },
    )
    iban = fields.String(required=True, validate=validate.Length(min=15, max=42))
    bic = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=8, max=11))


class StructureSchema(StructureFieldsSchema):
    id = fields.UUID(dump_only=True)
    identifier_kind = fields.Function(
        lambda structure: identifier_kind(structure.siret).value,
        dump_only=True,
        metadata={"description": "nature de l'identifiant `siret` : siret, ridet ou tahiti"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class StructureChangesSchema(Schema):
    """No bank details here: a new IBAN goes through the bank-details procedure (two officers)."""

    name = fields.String(validate=validate.Length(min=1, max=300))
    siret = fields.String(validate=_IDENTIFIER_LENGTH, metadata=_IDENTIFIER_HELP)
    kind = fields.String(validate=validate.OneOf(STRUCTURE_KINDS))
    structure_type = fields.String(validate=validate.OneOf(STRUCTURE_TYPES_ACCEPTED))
    department = fields.String(validate=validate.Length(min=2, max=3))
    address = fields.String(validate=validate.Length(min=1, max=300))
    postcode = fields.String(validate=validate.Regexp(r"^\d{5}$", error="5 chiffres attendus."))
    city = fields.String(validate=validate.Length(min=1, max=150))
    email = fields.Email()
    qpv_zrr = fields.Boolean()


class StructureQuerySchema(Schema):
    department = fields.String(validate=validate.Length(min=2, max=3))
    kind = fields.String(validate=validate.OneOf(STRUCTURE_KINDS))
    q = fields.String(validate=validate.Length(min=1, max=100), metadata=SEARCH_HELP)
    ids = ids_filter()


@blp.route("")
class Structures(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(StructureFieldsSchema)
    @blp.response(201, StructureSchema)
    @blp.links(
        201,
        GetStructure=link("/structures/{structure_id}", "get", structure_id="$response.body#/id"),
        UpdateStructure=link("/structures/{structure_id}", "patch", structure_id="$response.body#/id"),
        BankDetails=link("/structures/{structure_id}/bank-details", "get", structure_id="$response.body#/id"),
    )
    @blp.alt_response(409, description="SIRET déjà enregistré")
    def post(self, fields: dict[str, Any]) -> Any:
        """Register a host structure (SIRET, IBAN, department and postcode checked)."""
        with unit_of_work() as uow:
            return use_cases.create_structure(uow, CreateStructure(**fields, on=today()))

    @blp.roles(Role.LEGAL, *READERS)
    @blp.arguments(StructureQuerySchema, location="query")
    @blp.response(200, StructureSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Structures by name, filtered by department, kind, a search on the name or the SIRET, or ids."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.structures(
                uow,
                queries.StructureFilters(**{**query, "ids": tuple(query.get("ids", ()))}),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/<uuid:structure_id>")
class StructureById(MethodView):
    @blp.roles(Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.response(200, StructureSchema)
    def get(self, structure_id: uuid.UUID) -> Any:
        """One structure; a structure user sees only its own."""
        if current_principal().is_structure():
            ensure_structure_visible(structure_id)
        with unit_of_work(read_only=True) as uow:
            return queries.structure(uow, structure_id)

    @blp.roles(Role.LEGAL, Role.ADMIN)
    @blp.arguments(StructureChangesSchema)
    @blp.response(200, StructureSchema)
    def patch(self, changes: dict[str, Any], structure_id: uuid.UUID) -> Any:
        """Change a structure's identity, address or contact (not its bank details)."""
        with unit_of_work() as uow:
            return use_cases.update_structure(
                uow, UpdateStructure(structure_id=structure_id, on=today(), **changes)
            )
