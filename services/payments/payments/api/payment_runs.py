"""`/api/v1/payment-runs`: approved tranches sent to the bank as one SEPA file, confirmed by a second
officer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cnum_shared.core.wire import legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    abort,
    current_principal,
    link,
    service_context,
)
from payments.adapters import sepa
from payments.api.tranches import requires_idempotency_key, run_idempotently
from payments.config import PaymentsSettings
from payments.domain.tranches import TrancheConflict
from payments.service_layer import payment_runs as use_cases
from payments.service_layer.tranches import FourEyes

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


def _refuse(error: Exception) -> Any:
    if isinstance(error, use_cases.RunRefused):
        return abort(409, "Ordre de virement refusé : " + str(error), errors={"tranches": error.problems})
    if isinstance(error, TrancheConflict):
        return abort(409, str(error), errors={"reasons": [{"code": error.code, "message": str(error)}]})
    if isinstance(error, FourEyes):
        return abort(403, str(error), errors={"tranches": error.tranches} if error.tranches else None)
    if isinstance(error, sepa.InvalidTransfer):
        return abort(422, "Virement SEPA invalide.", errors={"sepa": error.problems})
    return abort(404, "Ordre de virement introuvable.")


_REFUSED = (
    use_cases.RunRefused,
    TrancheConflict,
    FourEyes,
    sepa.InvalidTransfer,
    use_cases.PaymentRunNotFound,
)


def _debtor() -> sepa.Debtor:
    settings = service_context().settings
    assert isinstance(settings, PaymentsSettings)
    return sepa.Debtor(settings.debtor_name, settings.debtor_iban, settings.debtor_bic)


def _with_lines(uow: Any, run: Any) -> dict[str, Any]:
    """The run and its lines, as raw values for RunWithLinesSchema to dump."""
    data = {name: getattr(run, name) for name in RunSchema().fields}
    data["lines"] = list(use_cases.run_lines(uow, run.id))
    return data


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
        with service_context().database.unit_of_work(read_only=True) as uow:
            page, total = use_cases.list_runs(
                uow, query.get("status"), pagination_parameters.first_item, pagination_parameters.page_size
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
    @blp.doc(
        parameters=[
            {"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string"}}
        ]
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Gather approved tranches into a draft run (each one's gates and creditor IBAN checked)."""
        context = service_context()
        principal = current_principal()

        def create_once() -> Any:
            with context.database.unit_of_work() as uow:
                run = use_cases.create_run(
                    uow,
                    body["tranche_ids"],
                    body["execution_date"],
                    principal.sub,
                    context.today(),
                    _debtor(),
                    request_key=f"{principal.sub}:{request.headers['Idempotency-Key'].strip()}",
                )
                return _with_lines(uow, run)

        return run_idempotently(body, create_once, RunWithLinesSchema(), _REFUSED, _refuse)


@blp.route("/<uuid:run_id>")
class PaymentRunById(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, RunWithLinesSchema)
    def get(self, run_id: uuid.UUID) -> Any:
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                return _with_lines(uow, use_cases.get_run(uow, run_id))
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/<uuid:run_id>/sepa")
class PaymentRunSepa(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.doc(responses={"200": {"description": "pain.001.001.03", "content": {"application/xml": {}}}})
    def get(self, run_id: uuid.UUID) -> Any:
        """The SEPA credit-transfer file (pain.001.001.03, validated against its XSD), written once."""
        context = service_context()
        with context.database.unit_of_work() as uow:
            try:
                xml = use_cases.export(uow, run_id, _debtor(), context.clock.now())
            except _REFUSED as error:
                return _refuse(error)
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
        with service_context().database.unit_of_work() as uow:
            try:
                return use_cases.confirm(uow, run_id, current_principal().sub, body["paid_on"])
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/<uuid:run_id>/rejections")
class PaymentRunRejections(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(RejectionsSchema)
    @blp.response(200, RunWithLinesSchema)
    def post(self, body: dict[str, Any], run_id: uuid.UUID) -> Any:
        """Lines the bank rejected: their tranches return to `approved`."""
        rejections = {line["tranche_id"]: line["reason"] for line in body["lines"]}
        with service_context().database.unit_of_work() as uow:
            try:
                run = use_cases.reject_lines(uow, run_id, rejections, current_principal().sub)
                return _with_lines(uow, run)
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/<uuid:run_id>/cancel")
class CancelPaymentRun(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.response(200, RunSchema)
    def post(self, run_id: uuid.UUID) -> Any:
        """Cancel a run not yet confirmed: its tranches may go into another one."""
        with service_context().database.unit_of_work() as uow:
            try:
                return use_cases.cancel(uow, run_id)
            except _REFUSED as error:
                return _refuse(error)
