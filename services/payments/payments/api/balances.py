"""`/api/v1/conventions/{convention_id}/balance`: total, paid, due, recoverable, and their details."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint
from payments.api.context import unit_of_work
from payments.api.schedules import ScheduleTrancheSchema
from payments.domain.clawback import RecoveryKind
from payments.service_layer import queries

blp = Blueprint("balances", __name__, url_prefix="", description="Soldes des conventions et reversements")


class PeriodEarningSchema(Schema):
    period = fields.Integer(
        metadata={"description": "période financée (année de convention au renouvellement)"}
    )
    months = fields.Integer(metadata={"description": "mois commencés occupés dans la période"})
    monthly_rate = fields.String(metadata={"description": "taux mensuel par poste de la période"})
    earned = fields.String(metadata={"description": "montant acquis sur la période"})


class RecoverySchema(Schema):
    id = fields.UUID()
    kind = fields.String(
        metadata={
            "enum": ["post_ended", "regularisation", "final_statement"],
            "description": "poste terminé (article 6), reversement après un avenant de réduction, ou solde "
            "du décompte final à la clôture",
        }
    )
    status = fields.String()
    contract_id = fields.UUID(allow_none=True)
    months = fields.Integer(attribute="months_started")
    periods = fields.Method("_periods")
    earned = money_field(required=False, allow_none=True)
    paid = money_field(required=False, allow_none=True, attribute="paid_per_post")
    recoverable = money_field(required=False, attribute="amount")
    tranche_number = fields.Integer(allow_none=True)
    amendment_number = fields.Integer(allow_none=True)
    refill_deadline = fields.Date()
    pay_by = fields.Date(
        allow_none=True,
        metadata={"description": "à reverser avant le (émis + délai de reversement de la convention)"},
    )

    def _periods(self, recovery: Any) -> Any:
        if recovery.kind != RecoveryKind.POST_ENDED:
            return []
        return PeriodEarningSchema(many=True).dump(recovery.computation or [])


class BalanceSchema(Schema):
    convention_id = fields.UUID()
    total = money_field(required=False)
    paid = money_field(required=False)
    due = money_field(required=False)
    recoverable = money_field(required=False)
    recoveries = fields.List(fields.Nested(RecoverySchema))
    regularisations = fields.List(fields.Nested(ScheduleTrancheSchema))


@blp.route("/conventions/<uuid:convention_id>/balance")
class Balance(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, BalanceSchema)
    def get(self, convention_id: uuid.UUID) -> Any:
        """Total, paid, due (due, blocked or approved) and recoverable."""
        with unit_of_work(read_only=True) as uow:
            return queries.balance(uow, convention_id)
