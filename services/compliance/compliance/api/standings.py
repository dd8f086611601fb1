"""A structure's standing over HTTP: blocking while an obligation is overdue."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import ensure_structure_visible, service_context
from compliance.api.blueprint import blp, unit_of_work
from compliance.api.schemas import StandingSchema
from compliance.service_layer import queries


@blp.route("/structures/<uuid:structure_id>/standing")
class StandingView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.FINANCE, Role.SERVICE, Role.STRUCTURE, *READERS)
    @blp.response(200, StandingSchema)
    def get(self, structure_id: uuid.UUID) -> Any:
        """Blocking while an obligation is overdue (404 for a structure compliance never heard of)."""
        ensure_structure_visible(structure_id)
        with unit_of_work(read_only=True) as uow:
            return queries.standing(uow, structure_id, service_context().today())
