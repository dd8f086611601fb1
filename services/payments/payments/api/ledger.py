"""`/api/v1/payments` and `/api/v1/recoveries`: what was paid and what is claimed back, every convention's,
the lists finance officers work from (each exports as CSV or XLSX); a recovery recorded received, or
offset against a later tranche (decision 0031)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.exports import Kind, column
from cnum_shared.core.wire import legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.exports import EXPORT_DOC, ExportQuerySchema, export_response
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, current_principal, service_context
from payments.api.balances import RecoverySchema
from payments.api.context import unit_of_work
from payments.api.idempotent import IDEMPOTENCY_KEY_HEADER, requires_idempotency_key, run_idempotently
from payments.api.listing import TerritoryQuerySchema, departments_asked, statuses_asked, statuses_field
from payments.domain.clawback import RECOVERIES, RECOVERY_KIND_LABELS, RecoveryKind, RecoveryStatus
from payments.domain.payments import PAYMENTS, PaymentStatus
from payments.service_layer import queries, recoveries
from payments.service_layer.commands import OffsetRecovery, ReceiveRecovery

blp = Blueprint("ledger", __name__, url_prefix="", description="Paiements et reversements")


class PaymentRowSchema(Schema):
    id = fields.UUID()
    tranche_id = fields.UUID()
    tranche_number = fields.Integer()
    convention_id = fields.UUID()
    convention_reference = fields.String()
    structure_id = fields.UUID()
    structure_name = fields.String()
    amount = money_field(required=False)
    paid_on = fields.Date()
    reference = fields.String()
    approved_by = fields.String()
    paid_by = fields.String()
    payment_run_id = fields.UUID(allow_none=True)
    status = fields.String(metadata={"enum": [status.value for status in PaymentStatus]})


class PaymentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in PaymentStatus]))
    structure_id = fields.UUID()
    convention_id = fields.UUID()
    payment_run_id = fields.UUID()


class PaymentExportQuerySchema(PaymentQuerySchema, ExportQuerySchema):
    pass


def _payment_filters(query: dict[str, Any]) -> queries.PaymentFilters:
    status = query.get("status")
    return queries.PaymentFilters(
        status=PaymentStatus(status) if status else None,
        structure_id=query.get("structure_id"),
        convention_id=query.get("convention_id"),
        payment_run_id=query.get("payment_run_id"),
    )


PAYMENT_COLUMNS = (
    column("Convention", "convention_reference"),
    column("Structure", "structure_name", width=30),
    column("Identifiant de la structure", "structure_id", width=38),
    column("N° de tranche", "tranche_number", Kind.INTEGER),
    column("Montant", "amount", Kind.AMOUNT),
    column("Payé le", "paid_on", Kind.DATE),
    column("Référence du virement", "reference", width=24),
    column("Statut", "status", width=12, labels=PAYMENTS.labels),
    column("Approuvé par", "approved_by"),
    column("Payé par", "paid_by"),
    column("Ordre de virement", "payment_run_id", width=38),
    column("Identifiant", "id", width=38),
)


@blp.route("/payments")
class Payments(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(PaymentQuerySchema, location="query")
    @blp.response(200, PaymentRowSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Payments, latest first, filtered by status, structure, convention or payment run (every
        matching one as a file: /payments/export)."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.list_payments(
                uow,
                _payment_filters(query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/payments/export")
class PaymentsExport(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(PaymentExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every payment the list's filters match, as a CSV or XLSX file (French headers)."""
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_payments(uow, _payment_filters(query))
        return export_response("paiements", PAYMENT_COLUMNS, rows, query["format"], service_context().today())


class RecoveryRowSchema(Schema):
    id = fields.UUID()
    convention_id = fields.UUID()
    convention_reference = fields.String()
    structure_id = fields.UUID()
    structure_name = fields.String(allow_none=True)
    contract_id = fields.UUID(allow_none=True)
    kind = fields.String(metadata={"enum": [kind.value for kind in RecoveryKind]})
    status = fields.String(metadata={"enum": [status.value for status in RecoveryStatus]})
    recoverable = money_field(required=False, attribute="amount")
    months = fields.Integer(attribute="months_started")
    earned = money_field(required=False, allow_none=True)
    paid = money_field(required=False, allow_none=True, attribute="paid_per_post")
    tranche_number = fields.Integer(allow_none=True)
    amendment_number = fields.Integer(allow_none=True)
    refill_deadline = fields.Date()
    pay_by = fields.Date(
        allow_none=True,
        metadata={"description": "à reverser avant le (émis + délai de reversement de la convention)"},
    )
    offset_tranche_id = fields.UUID(
        allow_none=True, metadata={"description": "compensé : la tranche versée nette de ce reversement"}
    )
    created_at = fields.AwareDateTime()


class RecoveryQuerySchema(TerritoryQuerySchema):
    status = statuses_field(RecoveryStatus, "status=provisional&status=issued")
    kind = fields.String(validate=validate.OneOf([kind.value for kind in RecoveryKind]))
    structure_id = fields.UUID()
    convention_id = fields.UUID()


class RecoveryExportQuerySchema(RecoveryQuerySchema, ExportQuerySchema):
    pass


def _recovery_filters(query: dict[str, Any]) -> queries.RecoveryFilters:
    kind = query.get("kind")
    return queries.RecoveryFilters(
        statuses=statuses_asked(query, RecoveryStatus),
        kind=RecoveryKind(kind) if kind else None,
        structure_id=query.get("structure_id"),
        convention_id=query.get("convention_id"),
        departments=departments_asked(query),
    )


RECOVERY_COLUMNS = (
    column("Convention", "convention_reference"),
    column("Structure", "structure_name", width=30),
    column("Identifiant de la structure", "structure_id", width=38),
    column("Nature", "kind", width=22, labels=RECOVERY_KIND_LABELS),
    column("Statut", "status", width=12, labels=RECOVERIES.labels),
    column("Montant à reverser", "amount", Kind.AMOUNT, width=18),
    column("Mois commencés", "months_started", Kind.INTEGER),
    column("Acquis", "earned", Kind.AMOUNT),
    column("Versé", "paid_per_post", Kind.AMOUNT),
    column("N° de tranche", "tranche_number", Kind.INTEGER),
    column("N° d'avenant", "amendment_number", Kind.INTEGER),
    column("Date limite de remplacement", "refill_deadline", Kind.DATE),
    column("À reverser avant le", "pay_by", Kind.DATE),
    column("Compensé sur la tranche", "offset_tranche_id", width=38),
    column("Créé le", "created_at", Kind.DATETIME),
    column("Contrat", "contract_id", width=38),
    column("Identifiant", "id", width=38),
)


@blp.route("/recoveries")
class Recoveries(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(RecoveryQuerySchema, location="query")
    @blp.response(200, RecoveryRowSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Recoveries (reversements), latest first, filtered by status (one or several), kind, structure,
        convention or territory (every matching one as a file: /recoveries/export)."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.list_recoveries(
                uow,
                _recovery_filters(query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/recoveries/export")
class RecoveriesExport(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(RecoveryExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every recovery the list's filters match, as a CSV or XLSX file (French headers)."""
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_recoveries(uow, _recovery_filters(query))
        return export_response(
            "reversements", RECOVERY_COLUMNS, rows, query["format"], service_context().today()
        )


class ReceiptSchema(Schema):
    received_on = legal_date(required=True, metadata={"description": "jour où le virement a été reçu"})
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class OffsetSchema(Schema):
    tranche_id = fields.UUID(
        required=True,
        metadata={"description": "tranche de la même structure, encore à payer, versée nette du reversement"},
    )


@blp.route("/recoveries/<uuid:recovery_id>/receive")
class ReceiveRecoveryView(MethodView):
    @blp.roles(Role.FINANCE)
    @requires_idempotency_key
    @blp.arguments(ReceiptSchema)
    @blp.response(200, RecoverySchema)
    @blp.alt_response(409, description="Le reversement n'est pas émis")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, body: dict[str, Any], recovery_id: uuid.UUID) -> Any:
        """Record an issued recovery as received (the structure's transfer reached the agency's account),
        once whatever the retries (Idempotency-Key)."""
        command = ReceiveRecovery(
            recovery_id=recovery_id,
            received_on=body["received_on"],
            by=current_principal().sub,
            today=service_context().today(),
            note=body["note"],
        )

        def receive_once() -> Any:
            with unit_of_work() as uow:
                return recoveries.record_receipt(uow, command)

        return run_idempotently(body, receive_once, RecoverySchema(), status=200)


@blp.route("/recoveries/<uuid:recovery_id>/offset")
class OffsetRecoveryView(MethodView):
    @blp.roles(Role.FINANCE)
    @requires_idempotency_key
    @blp.arguments(OffsetSchema)
    @blp.response(200, RecoverySchema)
    @blp.alt_response(409, description="Refusée : reversement non émis, tranche réglée, trop petite…")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, body: dict[str, Any], recovery_id: uuid.UUID) -> Any:
        """Offset an issued recovery against a tranche of the same structure not yet paid: the tranche is
        then transferred net of it (its payment still settles the whole tranche)."""
        command = OffsetRecovery(
            recovery_id=recovery_id, tranche_id=body["tranche_id"], by=current_principal().sub
        )

        def offset_once() -> Any:
            with unit_of_work() as uow:
                return recoveries.offset_recovery(uow, command)

        return run_idempotently(body, offset_once, RecoverySchema(), status=200)
