"""`/api/v1/schedules/{convention_id}`: the tranches of a convention."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, ensure_structure_visible, link
from payments.api.context import unit_of_work
from payments.service_layer import queries

blp = Blueprint("schedules", __name__, url_prefix="", description="Échéanciers des conventions")


class ScheduleTrancheSchema(Schema):
    id = fields.UUID()
    number = fields.Integer()
    amount = money_field(required=False)
    due_on = fields.Date()
    status = fields.String()
    kind = fields.String(metadata={"enum": ["instalment", "regularisation", "final_balance"]})
    regularises = fields.Integer(allow_none=True)
    amendment_number = fields.Integer(allow_none=True)


class ScheduleSchema(Schema):
    convention_id = fields.UUID()
    structure_id = fields.UUID()
    reference = fields.String()
    total_amount = money_field(required=False)
    status = fields.String()
    tranches = fields.List(fields.Nested(ScheduleTrancheSchema))


@blp.route("/schedules/<uuid:convention_id>")
class Schedule(MethodView):
    @blp.roles(Role.FINANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ScheduleSchema)
    @blp.links(
        200,
        GetTranche=link("/tranches/{tranche_id}", "get", tranche_id="$response.body#/tranches/0/id"),
        TrancheHistory=link(
            "/tranches/{tranche_id}/history", "get", tranche_id="$response.body#/tranches/0/id"
        ),
        ApproveTranche=link(
            "/tranches/{tranche_id}/approve", "post", tranche_id="$response.body#/tranches/0/id"
        ),
        PayTranche=link("/tranches/{tranche_id}/pay", "post", tranche_id="$response.body#/tranches/0/id"),
        Balance=link(
            "/conventions/{convention_id}/balance", "get", convention_id="$request.path.convention_id"
        ),
    )
    def get(self, convention_id: uuid.UUID) -> Any:
        """The tranches of a convention (a structure sees its own)."""
        with unit_of_work(read_only=True) as uow:
            schedule = queries.schedule(uow, convention_id)
        ensure_structure_visible(schedule["structure_id"], "Aucun échéancier pour cette convention.")
        return schedule
