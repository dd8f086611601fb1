"""`/api/v1/directory`: the names behind the ids, for every officer (decision 0044).

`GET /structures` and `GET /conventions` stay the legal officers' tools (decision 0020): they answer the
whole record, bank details and contact included. Finance and compliance officers name structures and
conventions too, in their filters and on their pages; the directory answers them, and every officer,
only what names one: a structure's name, SIRET, city and department; a convention's reference, status
and structure. Structure users have no use for it: they read their own structure by id.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint
from conventions.api.context import unit_of_work
from conventions.api.structures import SEARCH_HELP, ids_filter
from conventions.domain.conventions import ConventionStatus
from conventions.service_layer import queries

blp = Blueprint(
    "directory",
    __name__,
    url_prefix="/directory",
    description="Annuaire : les noms derrière les identifiants",
)

#: Every officer who reads a structure or a convention by its id somewhere in the product.
OFFICERS = (Role.LEGAL, Role.FINANCE, Role.COMPLIANCE, *READERS)


class DirectoryStructureSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    siret = fields.String(metadata={"description": "SIRET, ou RIDET / numéro TAHITI outre-mer"})
    city = fields.String()
    department = fields.String()


class DirectoryConventionSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in ConventionStatus]})
    structure_id = fields.UUID()
    structure_name = fields.String(attribute="structure.name")


class DirectoryStructureQuerySchema(Schema):
    q = fields.String(validate=validate.Length(min=1, max=100), metadata=SEARCH_HELP)
    ids = ids_filter()


class DirectoryConventionQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "une partie de la référence (sans tenir compte de la casse)"},
    )
    ids = ids_filter()


def _filters(query: dict[str, Any]) -> queries.DirectoryFilters:
    return queries.DirectoryFilters(q=query.get("q"), ids=tuple(query.get("ids", ())))


@blp.route("/structures")
class DirectoryStructures(MethodView):
    @blp.roles(*OFFICERS)
    @blp.arguments(DirectoryStructureQuerySchema, location="query")
    @blp.response(200, DirectoryStructureSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Structures by name: those a text finds (name, SIRET or its start), or those of some ids."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.directory_structures(
                uow, _filters(query), pagination_parameters.first_item, pagination_parameters.page_size
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/conventions")
class DirectoryConventions(MethodView):
    @blp.roles(*OFFICERS)
    @blp.arguments(DirectoryConventionQuerySchema, location="query")
    @blp.response(200, DirectoryConventionSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Conventions, newest first: those whose reference holds a text, or those of some ids."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.directory_conventions(
                uow, _filters(query), pagination_parameters.first_item, pagination_parameters.page_size
            )
        pagination_parameters.item_count = total
        return page
