"""`/conventions/{id}/final-statement/document`, `/recovery-orders`: the final statement of a closed
convention and the orders of the recoveries payments issued, as payments' events carried them (decision
0033), their documents rendered like the others (PDF/A, sealed, every download logged)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, current_principal
from conventions.api.documents import adapters, blp, reader, today, unit_of_work
from conventions.api.documents.generated import DOCUMENT_RESPONSES, FormatSchema, sent
from conventions.service_layer import queries
from conventions.service_layer.documents import (
    DownloadFinalStatement,
    DownloadRecoveryOrder,
    download_final_statement,
    download_recovery_order,
)

#: Who reads a convention's money (decision 0030): finance settles, legal closes and sends, auditors and
#: admins read everything, a structure its own. Not compliance.
_MONEY_READERS = (Role.FINANCE, Role.LEGAL, Role.STRUCTURE, *READERS)
_NOT_ARRIVED = {"404": {"description": "Inconnu, d'une autre structure, ou pas encore reçu des paiements"}}


class AccountSchema(Schema):
    name = fields.String()
    iban = fields.String()
    bic = fields.String(allow_none=True)


class RecoveryOrderSchema(Schema):
    id = fields.UUID(attribute="recovery_id", metadata={"description": "l'identifiant du reversement"})
    convention_id = fields.UUID()
    convention_reference = fields.String()
    structure_id = fields.UUID()
    structure_name = fields.Function(lambda order: order.structure.get("name"))
    kind = fields.String(metadata={"enum": ["post_ended", "regularisation", "final_statement"]})
    amount = money_field(required=False)
    issued_on = fields.Date()
    pay_by = fields.Date(metadata={"description": "date limite de paiement"})
    repayment_delay_days = fields.Integer()
    payment_reference = fields.String(metadata={"description": "référence à indiquer sur le virement"})
    pay_to = fields.Function(
        lambda order: {"name": order.pay_to_name, "iban": order.pay_to_iban, "bic": order.pay_to_bic},
        metadata={"description": "le compte à créditer"},
    )
    contract_id = fields.UUID(allow_none=True)
    months_started = fields.Integer()
    earned = money_field(required=False, allow_none=True)
    paid_per_post = money_field(required=False, allow_none=True)
    computation = fields.Raw(allow_none=True, metadata={"description": "le calcul, tel que les paiements"})
    received_at = fields.AwareDateTime()


class RecoveryOrderQuerySchema(Schema):
    structure_id = fields.UUID()
    convention_id = fields.UUID()


@blp.route("/conventions/<uuid:convention_id>/final-statement/document")
class FinalStatementDocument(MethodView):
    @blp.roles(*_MONEY_READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses={**DOCUMENT_RESPONSES, **_NOT_ARRIVED})
    def get(self, query: dict[str, Any], convention_id: uuid.UUID) -> Any:
        """The final statement (décompte final) of a closed convention as PDF or DOCX, from payments'
        figures; 404 until payments has settled it. Every download is logged."""
        command = DownloadFinalStatement(convention_id, query["format"], today(), reader())
        with unit_of_work() as uow:
            return sent(download_final_statement(uow, command, adapters()))


@blp.route("/recovery-orders")
class RecoveryOrders(MethodView):
    @blp.roles(*_MONEY_READERS)
    @blp.arguments(RecoveryOrderQuerySchema, location="query")
    @blp.response(200, RecoveryOrderSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """The recoveries payments issued, each with its order, the latest issued first; a structure user
        sees only its own."""
        principal = current_principal()
        if principal.is_structure():
            query["structure_id"] = principal.structure_id
        with unit_of_work(read_only=True) as uow:
            page, total = queries.recovery_orders(
                uow,
                queries.RecoveryOrderFilters(**query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/recovery-orders/<uuid:recovery_id>")
class RecoveryOrderById(MethodView):
    @blp.roles(*_MONEY_READERS)
    @blp.response(200, RecoveryOrderSchema)
    @blp.doc(responses=_NOT_ARRIVED)
    def get(self, recovery_id: uuid.UUID) -> Any:
        """One recovery order: the amount, its computation, the account, the reference, the deadline."""
        with unit_of_work(read_only=True) as uow:
            return queries.recovery_order(uow, recovery_id, reader())


@blp.route("/recovery-orders/<uuid:recovery_id>/document")
class RecoveryOrderDocument(MethodView):
    @blp.roles(*_MONEY_READERS)
    @blp.arguments(FormatSchema, location="query")
    @blp.doc(responses={**DOCUMENT_RESPONSES, **_NOT_ARRIVED})
    def get(self, query: dict[str, Any], recovery_id: uuid.UUID) -> Any:
        """The order (ordre de reversement) as PDF or DOCX; every download is logged."""
        command = DownloadRecoveryOrder(recovery_id, query["format"], today(), reader())
        with unit_of_work() as uow:
            return sent(download_recovery_order(uow, command, adapters()))
