"""`/api/v1/payment-runs`: approved tranches sent to the bank as one SEPA file, confirmed by a second
officer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.exports import Kind, column
from cnum_shared.core.wire import legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.exports import EXPORT_DOC, ExportQuerySchema, export_response
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    current_principal,
    link,
    service_context,
)
from payments.api.context import unit_of_work
from payments.api.idempotent import (
    IDEMPOTENCY_KEY_HEADER,
    idempotency_key,
    requires_idempotency_key,
    run_idempotently,
)
from payments.domain.payments import PAYMENT_RUNS, PaymentRunStatus
from payments.service_layer import commands, payment_runs, queries

blp = Blueprint("payment_runs", __name__, url_prefix="/payment-runs", description="Ordres de virement SEPA")


class RunRequestSchema(Schema):
    execution_date = legal_date(required=True)
    tranche_ids = fields.List(
        fields.UUID(),
        load_default=None,
        validate=validate.Length(min=1, max=20_000),
        metadata={"description": "absent : toutes les tranches approuvées hors ordre en cours"},
    )


class RunLineSchema(Schema):
    tranche_id = fields.UUID()
    amount = money_field(required=False)
    creditor_name = fields.String()
    creditor_iban = fields.String()
    creditor_bic = fields.String(allow_none=True)
    end_to_end_id = fields.String()
    status = fields.String()
    rejection_reason = fields.String(allow_none=True)


class RunSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": ["draft", "exported", "confirmed", "cancelled"]})
    execution_date = fields.Date()
    message_id = fields.String()
    number_of_transactions = fields.Integer()
    control_sum = money_field(required=False)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    exported_at = fields.AwareDateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)


class RunWithLinesSchema(RunSchema):
    lines = fields.List(fields.Nested(RunLineSchema))


class ConfirmationSchema(Schema):
    paid_on = legal_date(required=True)


class RejectionSchema(Schema):
    tranche_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RejectionsSchema(Schema):
    lines = fields.List(fields.Nested(RejectionSchema), required=True, validate=validate.Length(min=1))


class RunQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["draft", "exported", "confirmed", "cancelled"]))


@blp.route("")
class PaymentRuns(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(RunQuerySchema, location="query")
    @blp.response(200, RunSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """The payment runs, newest first, filtered by status (their lines and files: GET one run)."""
        status = query.get("status")
        with unit_of_work(read_only=True) as uow:
            page, total = queries.list_runs(
                uow,
                PaymentRunStatus(status) if status else None,
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page

    @blp.roles(Role.FINANCE)
    @requires_idempotency_key
    @blp.arguments(RunRequestSchema)
    @blp.response(201, RunWithLinesSchema)
    @blp.links(
        201,
        GetRun=link("/payment-runs/{run_id}", "get", run_id="$response.body#/id"),
        ExportRun=link("/payment-runs/{run_id}/sepa", "get", run_id="$response.body#/id"),
        ConfirmRun=link("/payment-runs/{run_id}/confirm", "post", run_id="$response.body#/id"),
        RejectLines=link("/payment-runs/{run_id}/rejections", "post", run_id="$response.body#/id"),
        CancelRun=link("/payment-runs/{run_id}/cancel", "post", run_id="$response.body#/id"),
    )
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, body: dict[str, Any]) -> Any:
        """Gather approved tranches into a draft run (each one's gates and creditor IBAN checked)."""
        principal = current_principal().sub
        command = commands.CreatePaymentRun(
            tranche_ids=body["tranche_ids"],
            execution_date=body["execution_date"],
            created_by=principal,
            today=service_context().today(),
            request_key=f"{principal}:{idempotency_key()}",
        )

        def create_once() -> Any:
            with unit_of_work() as uow:
                return queries.run_with_lines(uow, payment_runs.create_run(uow, command))

        return run_idempotently(body, create_once, RunWithLinesSchema())


class RunExportQuerySchema(RunQuerySchema, ExportQuerySchema):
    pass


RUN_COLUMNS = (
    column("Date d'exécution", "execution_date", Kind.DATE),
    column("Statut", "status", width=12, labels=PAYMENT_RUNS.labels),
    column("Identifiant du message", "message_id", width=36),
    column("Nombre de virements", "number_of_transactions", Kind.INTEGER),
    column("Montant total", "control_sum", Kind.AMOUNT, width=16),
    column("Créé par", "created_by"),
    column("Créé le", "created_at", Kind.DATETIME),
    column("Exporté le", "exported_at", Kind.DATETIME),
    column("Confirmé par", "confirmed_by"),
    column("Confirmé le", "confirmed_at", Kind.DATETIME),
    column("Identifiant", "id", width=38),
)


@blp.route("/export")
class PaymentRunsExport(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(RunExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every payment run of the list's filter, as a CSV or XLSX file (French headers)."""
        status = query.get("status")
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_runs(uow, PaymentRunStatus(status) if status else None)
        return export_response(
            "ordres-de-virement", RUN_COLUMNS, rows, query["format"], service_context().today()
        )


@blp.route("/<uuid:run_id>")
class PaymentRunById(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, RunWithLinesSchema)
    def get(self, run_id: uuid.UUID) -> Any:
        with unit_of_work(read_only=True) as uow:
            return queries.payment_run(uow, run_id)


@blp.route("/<uuid:run_id>/sepa")
class PaymentRunSepa(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.doc(responses={"200": {"description": "pain.001.001.03", "content": {"application/xml": {}}}})
    def get(self, run_id: uuid.UUID) -> Any:
        """The SEPA credit-transfer file (pain.001.001.03, validated against its XSD), written once."""
        command = commands.ExportPaymentRun(run_id, service_context().clock.now(), current_principal().sub)
        with unit_of_work() as uow:
            xml = payment_runs.export_run(uow, command)
        return Response(
            xml,
            mimetype="application/xml",
            headers={"Content-Disposition": f'attachment; filename="virements-{run_id}.xml"'},
        )


@blp.route("/<uuid:run_id>/confirm")
class ConfirmPaymentRun(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(ConfirmationSchema)
    @blp.response(200, RunSchema)
    def post(self, body: dict[str, Any], run_id: uuid.UUID) -> Any:
        """The bank executed the run: its tranches are paid (by another officer than its author)."""
        with unit_of_work() as uow:
            return payment_runs.confirm_run(
                uow, commands.ConfirmPaymentRun(run_id, current_principal().sub, body["paid_on"])
            )


@blp.route("/<uuid:run_id>/rejections")
class PaymentRunRejections(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(RejectionsSchema)
    @blp.response(200, RunWithLinesSchema)
    def post(self, body: dict[str, Any], run_id: uuid.UUID) -> Any:
        """Lines the bank rejected: their payments are returned, their tranches back to `approved`."""
        command = commands.RejectLines(
            run_id, {line["tranche_id"]: line["reason"] for line in body["lines"]}, current_principal().sub
        )
        with unit_of_work() as uow:
            return queries.run_with_lines(uow, payment_runs.reject_lines(uow, command))


@blp.route("/<uuid:run_id>/cancel")
class CancelPaymentRun(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.response(200, RunSchema)
    def post(self, run_id: uuid.UUID) -> Any:
        """Cancel a run not yet confirmed: its tranches may go into another one."""
        with unit_of_work() as uow:
            return payment_runs.cancel_run(uow, commands.CancelPaymentRun(run_id, current_principal().sub))
