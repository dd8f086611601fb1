"""`/api/v1/smic-checks`: each comparison of a contract's salary with the SMIC."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint
from payments.api.context import unit_of_work
from payments.service_layer import queries

blp = Blueprint("smic_checks", __name__, url_prefix="", description="Contrôles du SMIC")


class SmicCheckSchema(Schema):
    id = fields.UUID()
    contract_id = fields.UUID()
    structure_id = fields.UUID()
    checked_on = fields.Date()
    trigger = fields.String()
    zone = fields.String()
    smic_monthly = money_field(required=False)
    smic_from = fields.Date()
    salary = money_field(required=False)
    passed = fields.Boolean()


class SmicCheckQuerySchema(Schema):
    contract_id = fields.UUID()
    structure_id = fields.UUID()


@blp.route("/smic-checks")
class SmicChecks(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(SmicCheckQuerySchema, location="query")
    @blp.response(200, SmicCheckSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Each comparison of a salary with the SMIC: date, zone, SMIC figure, salary, result."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.smic_checks(
                uow,
                query.get("contract_id"),
                query.get("structure_id"),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page
