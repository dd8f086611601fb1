"""`/api/v1/statistics/obligations`: the overdue obligations by kind, counted in the database for the
dashboard of the web front (decision 0043). Compliance owns every obligation: the front only shows it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.framework.auth import READERS, Role
from compliance.api.blueprint import blp, unit_of_work
from compliance.domain.obligations import ObligationKind
from compliance.service_layer import queries


class CountsSchema(Schema):
    obligations = fields.Integer(metadata={"description": "obligations en retard"})
    structures = fields.Integer(metadata={"description": "structures qui en ont au moins une"})


class KindCountsSchema(CountsSchema):
    kind = fields.String(metadata={"enum": [kind.value for kind in ObligationKind]})
    label = fields.String(metadata={"description": "l'obligation, en français"})


class OverdueByKindSchema(Schema):
    total = fields.Nested(CountsSchema)
    kinds = fields.List(fields.Nested(KindCountsSchema))


class ObligationStatisticsSchema(Schema):
    overdue = fields.Nested(OverdueByKindSchema)


@blp.route("/statistics/obligations")
class ObligationStatistics(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.LEGAL, Role.FINANCE, *READERS)
    @blp.response(200, ObligationStatisticsSchema)
    def get(self) -> Any:
        """The overdue obligations by kind (every kind, 0 when none) and the structures concerned, as the
        last scan left them; counts made in the database."""
        with unit_of_work(read_only=True) as uow:
            return queries.overdue_obligations(uow)
