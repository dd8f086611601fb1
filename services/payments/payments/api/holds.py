"""`/api/v1/holds`: payments suspended by an admin, programme-wide or for one structure."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.framework.auth import Role
from cnum_shared.framework.web import Blueprint, current_principal, link
from payments.api.context import unit_of_work
from payments.service_layer import holds, queries
from payments.service_layer.commands import PlaceHold, ReleaseHold

blp = Blueprint("holds", __name__, url_prefix="", description="Suspensions des paiements")


class HoldRequestSchema(Schema):
    structure_id = fields.UUID(load_default=None, metadata={"description": "absent : tout le programme"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class HoldSchema(HoldRequestSchema):
    id = fields.UUID()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    released_by = fields.String(allow_none=True)
    released_at = fields.AwareDateTime(allow_none=True)


@blp.route("/holds")
class Holds(MethodView):
    @blp.roles(Role.ADMIN)
    @blp.arguments(HoldRequestSchema)
    @blp.response(201, HoldSchema)
    @blp.links(
        201,
        LiftHold=link("/holds/{hold_id}", "delete", hold_id="$response.body#/id"),
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Suspend payments, programme-wide or for one structure, with a reason (the 2025 freeze)."""
        with unit_of_work() as uow:
            return holds.place_hold(
                uow, PlaceHold(body["structure_id"], body["reason"], current_principal().sub)
            )

    @blp.roles(Role.ADMIN, Role.FINANCE, Role.AUDITOR)
    @blp.response(200, HoldSchema(many=True))
    def get(self) -> Any:
        """The holds in force."""
        with unit_of_work(read_only=True) as uow:
            return queries.holds_in_force(uow)


@blp.route("/holds/<uuid:hold_id>")
class HoldById(MethodView):
    @blp.roles(Role.ADMIN)
    @blp.response(200, HoldSchema)
    def delete(self, hold_id: uuid.UUID) -> Any:
        """Lift a hold."""
        with unit_of_work() as uow:
            return holds.release_hold(uow, ReleaseHold(hold_id, current_principal().sub))
