"""`/api/v1/conventions/{convention_id}/final-statement`: the final statement of a convention (décompte
final): per post the months occupied and what they earned; granted, earned, paid, the balance."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, ensure_structure_visible, service_context
from payments.api.balances import PeriodEarningSchema
from payments.api.context import unit_of_work
from payments.service_layer import queries

blp = Blueprint("final_statements", __name__, url_prefix="", description="Décomptes finaux des conventions")


class ContractEarningSchema(Schema):
    contract_id = fields.UUID()
    occupied_from = fields.Date(
        metadata={
            "description": "premier jour compté (le début du contrat, ou le mois qui suit le dernier mois "
            "compté au contrat précédent sur le même poste)"
        }
    )
    occupied_until = fields.Date(
        metadata={
            "description": "dernier jour compté (fin du contrat, date du décompte ou fin de convention)"
        }
    )
    months = fields.Integer(metadata={"description": "mois commencés occupés"})
    periods = fields.List(fields.Nested(PeriodEarningSchema))
    earned = money_field(required=False)


class PostEarningSchema(Schema):
    post = fields.Integer(
        metadata={"description": "numéro du poste (un poste jamais pourvu n'acquiert rien)"}
    )
    months = fields.Integer()
    earned = money_field(required=False)
    contracts = fields.List(fields.Nested(ContractEarningSchema))


class SettlementSchema(Schema):
    kind = fields.String(
        metadata={
            "enum": ["payment", "recovery"],
            "description": "ligne payable du reste à payer, ou reversement émis à la clôture",
        }
    )
    id = fields.UUID(metadata={"description": "la ligne de l'échéancier, ou le reversement du solde"})
    amount = money_field(required=False)
    status = fields.String()


class FinalStatementSchema(Schema):
    convention_id = fields.UUID(attribute="convention.convention_id")
    structure_id = fields.UUID(attribute="convention.structure_id")
    reference = fields.String(attribute="convention.reference")
    status = fields.String(attribute="convention.status")
    as_of = fields.Date(attribute="statement.as_of", metadata={"description": "date du décompte"})
    posts = fields.List(fields.Nested(PostEarningSchema), attribute="statement.posts")
    granted = money_field(
        required=False,
        attribute="statement.granted",
        metadata={"description": "montant de la convention, au dernier avenant"},
    )
    earned = money_field(
        required=False, attribute="statement.earned", metadata={"description": "montant acquis"}
    )
    paid = money_field(
        required=False,
        attribute="statement.paid",
        metadata={
            "description": "versé (paiements non retournés), moins les reversements reçus ou compensés"
        },
    )
    balance = money_field(
        required=False, attribute="statement.balance", metadata={"description": "acquis − versé"}
    )
    to_pay = money_field(
        required=False, attribute="statement.to_pay", metadata={"description": "reste à payer"}
    )
    to_recover = money_field(
        required=False, attribute="statement.to_recover", metadata={"description": "à reverser"}
    )
    in_payment = money_field(
        required=False,
        attribute="statement.in_payment",
        metadata={"description": "lignes approuvées, ou du décompte final, pas encore payées"},
    )
    claimed = money_field(
        required=False,
        attribute="statement.claimed",
        metadata={"description": "reversements provisoires ou émis, pas encore reçus"},
    )
    to_settle = money_field(
        required=False,
        attribute="statement.to_settle",
        metadata={"description": "ce que la clôture règle : solde − en paiement + déjà réclamé"},
    )
    settlements = fields.List(fields.Nested(SettlementSchema))


class FinalStatementQuerySchema(Schema):
    as_of = fields.Date(
        metadata={
            "description": "date du décompte ; par défaut, la date de clôture ou de résiliation, sinon la "
            "fin de la convention, ou aujourd'hui si elle court encore"
        }
    )


@blp.route("/conventions/<uuid:convention_id>/final-statement")
class FinalStatement(MethodView):
    @blp.roles(Role.FINANCE, Role.LEGAL, Role.STRUCTURE, *READERS)
    @blp.arguments(FinalStatementQuerySchema, location="query")
    @blp.response(200, FinalStatementSchema)
    def get(self, query: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """The final statement: per post, months occupied and earned; granted, earned, paid, balance
        (a structure sees its own)."""
        with unit_of_work(read_only=True) as uow:
            found = queries.final_statement(uow, convention_id, query.get("as_of"), service_context().today())
        ensure_structure_visible(found.convention.structure_id, "Convention inconnue des paiements.")
        return found
