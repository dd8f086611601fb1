"""`/api/v1/statistics/amounts`: the programme's amounts by region and department, summed in the database
for the dashboard of the web front (decision 0043). Payments owns every amount: the front only shows it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint
from payments.api.context import unit_of_work
from payments.service_layer import queries

blp = Blueprint(
    "statistics", __name__, url_prefix="/statistics", description="Chiffres du programme (tableau de bord)"
)


class AmountsSchema(Schema):
    committed = money_field(
        required=False,
        metadata={
            "description": "engagé : les tranches (et lignes complémentaires, soldes) des conventions "
            "signées, hors tranches annulées"
        },
    )
    paid = money_field(
        required=False, metadata={"description": "versé : les paiements, hors virements rejetés"}
    )
    due = money_field(
        required=False,
        metadata={"description": "à verser : les tranches échues, bloquées ou approuvées (comme le solde)"},
    )
    recoverable = money_field(
        required=False,
        metadata={"description": "à reverser : les reversements provisoires ou émis (comme le solde)"},
    )
    recoverable_issued = money_field(
        required=False,
        metadata={"description": "dont ordres de reversement émis, ni reçus ni compensés"},
    )


class RegionAmountsSchema(AmountsSchema):
    code = fields.String(
        allow_none=True,
        metadata={"description": "code INSEE de la région, ou de la collectivité d'outre-mer (975…)"},
    )
    name = fields.String()


class DepartmentAmountsSchema(AmountsSchema):
    code = fields.String(metadata={"description": "code du département (15, 2A, 974…)"})
    name = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "code de sa région"})


class ProgrammeAmountsSchema(Schema):
    total = fields.Nested(AmountsSchema)
    regions = fields.List(fields.Nested(RegionAmountsSchema))
    departments = fields.List(fields.Nested(DepartmentAmountsSchema))


@blp.route("/amounts")
class ProgrammeAmounts(MethodView):
    @blp.roles(Role.FINANCE, Role.LEGAL, *READERS)
    @blp.response(200, ProgrammeAmountsSchema)
    def get(self) -> Any:
        """Committed, paid, due and recoverable in all, by region and by department (where any is not
        nil), each a sum computed in the database."""
        with unit_of_work(read_only=True) as uow:
            return queries.programme_amounts(uow)
