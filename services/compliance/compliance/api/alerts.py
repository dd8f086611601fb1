"""The alert digests over HTTP: what was sent (or waits for SMTP) to whom."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, current_principal
from compliance.api.blueprint import blp, unit_of_work
from compliance.api.schemas import AlertSchema
from compliance.service_layer import queries


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters: Any) -> Any:
        """The digests sent (or waiting for SMTP), with their items, recipients and delivery status; a
        structure sees its own."""
        principal = current_principal()
        with unit_of_work(read_only=True) as uow:
            page = queries.alerts(
                uow,
                structure_id=principal.structure_id if principal.is_structure() else None,
                offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size,
            )
        pagination_parameters.item_count = page.total
        return [
            {
                **{
                    column: getattr(view.alert, column)
                    for column in AlertSchema().fields
                    if column != "items"
                },
                "items": view.items,
            }
            for view in page.items
        ]
