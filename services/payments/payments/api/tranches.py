"""`/api/v1/tranches`: the list, one tranche and its history, approval, payment (idempotent)."""

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
from payments.api.context import unit_of_work
from payments.api.idempotent import IDEMPOTENCY_KEY_HEADER, requires_idempotency_key, run_idempotently
from payments.api.listing import TerritoryQuerySchema, departments_asked, statuses_asked, statuses_field
from payments.domain.tranches import KIND_LABELS, TRANCHES, TrancheStatus
from payments.service_layer import queries, tranches
from payments.service_layer.commands import ApproveTranche, PayTranche

blp = Blueprint("tranches", __name__, url_prefix="", description="Tranches, approbation et paiement")


class TrancheSchema(Schema):
    id = fields.UUID()
    convention_id = fields.UUID()
    structure_id = fields.UUID()
    number = fields.Integer()
    amount = money_field(required=False)
    due_on = fields.Date()
    status = fields.String(metadata={"enum": [status.value for status in TrancheStatus]})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    kind = fields.String(
        metadata={
            "enum": ["instalment", "regularisation"],
            "description": "tranche de la convention, ou complément après un avenant",
        }
    )
    regularises = fields.Integer(
        allow_none=True, metadata={"description": "pour un complément : le numéro de la tranche complétée"}
    )
    #: In lists only: the convention's reference and the structure's name, to show people.
    convention_reference = fields.String(dump_only=True)
    structure_name = fields.String(dump_only=True)


class HistorySchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    reason = fields.String()
    at = fields.AwareDateTime()


class TrancheQuerySchema(TerritoryQuerySchema):
    status = statuses_field(TrancheStatus, "status=due&status=blocked")
    due_before = fields.Date()
    structure_id = fields.UUID()
    convention_id = fields.UUID()


class ApprovalSchema(Schema):
    comment = fields.String(load_default=None, validate=validate.Length(max=1000))


class PaymentRequestSchema(Schema):
    paid_on = legal_date(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=140))


class PaymentSchema(Schema):
    id = fields.UUID()
    tranche_id = fields.UUID()
    amount = money_field(required=False)
    paid_on = fields.Date()
    reference = fields.String()
    approved_by = fields.String()
    paid_by = fields.String()


@blp.route("/tranches")
class Tranches(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    # A structure's department is not watched by the list's triggers: a list by territory is read afresh.
    @blp.cached(queries.TRANCHE_LIST, uncached_args=("department", "region"))
    @blp.arguments(TrancheQuerySchema, location="query")
    @blp.response(200, TrancheSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Tranches by due date, filtered by status, due date, structure, convention or territory (every
        matching one as a file: /tranches/export)."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.list_tranches(
                uow, _filters(query), pagination_parameters.first_item, pagination_parameters.page_size
            )
        pagination_parameters.item_count = total
        return page


class TrancheExportQuerySchema(TrancheQuerySchema, ExportQuerySchema):
    pass


def _filters(query: dict[str, Any]) -> queries.TrancheFilters:
    return queries.TrancheFilters(
        statuses=statuses_asked(query, TrancheStatus),
        due_before=query.get("due_before"),
        structure_id=query.get("structure_id"),
        convention_id=query.get("convention_id"),
        departments=departments_asked(query),
    )


TRANCHE_COLUMNS = (
    column("Convention", "convention_reference"),
    column("Structure", "structure_name", width=30),
    column("Identifiant de la structure", "structure_id", width=38),
    column("N° de tranche", "number", Kind.INTEGER),
    column("Nature", "kind", width=22, labels=KIND_LABELS),
    column("Complète la tranche", "regularises", Kind.INTEGER),
    column("Montant", "amount", Kind.AMOUNT),
    column("Échéance", "due_on", Kind.DATE),
    column("Statut", "status", width=12, labels=TRANCHES.labels),
    column("Approuvée par", "approved_by"),
    column("Approuvée le", "approved_at", Kind.DATETIME),
    column("Identifiant", "id", width=38),
)


@blp.route("/tranches/export")
class TranchesExport(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(TrancheExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every tranche the list's filters match, as a CSV or XLSX file (French headers)."""
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_tranches(uow, _filters(query))
        return export_response("tranches", TRANCHE_COLUMNS, rows, query["format"], service_context().today())


@blp.route("/tranches/<uuid:tranche_id>")
class TrancheById(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, TrancheSchema)
    def get(self, tranche_id: uuid.UUID) -> Any:
        with unit_of_work(read_only=True) as uow:
            return queries.tranche(uow, tranche_id)


@blp.route("/tranches/<uuid:tranche_id>/history")
class TrancheHistory(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, HistorySchema(many=True))
    def get(self, tranche_id: uuid.UUID) -> Any:
        """Every change of the tranche: from, to, who, why, when."""
        with unit_of_work(read_only=True) as uow:
            return queries.tranche_history(uow, tranche_id)


@blp.route("/tranches/<uuid:tranche_id>/approve")
class Approve(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(ApprovalSchema)
    @blp.response(200, TrancheSchema)
    @blp.alt_response(409, description="Refusée : errors.reasons liste chaque motif")
    def post(self, body: dict[str, Any], tranche_id: uuid.UUID) -> Any:
        """Approve a due tranche: every gate is checked on today's date (obligations, SMIC, holds, order)."""
        command = ApproveTranche(
            tranche_id, current_principal().sub, service_context().today(), body["comment"]
        )
        with unit_of_work() as uow:
            return tranches.approve_tranche(uow, command)


@blp.route("/tranches/<uuid:tranche_id>/pay")
class Pay(MethodView):
    @blp.roles(Role.FINANCE)
    @requires_idempotency_key
    @blp.arguments(PaymentRequestSchema)
    @blp.response(201, PaymentSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, body: dict[str, Any], tranche_id: uuid.UUID) -> Any:
        """Pay an approved tranche, once whatever the retries (Idempotency-Key), by another officer."""
        command = PayTranche(
            tranche_id=tranche_id,
            payer=current_principal().sub,
            paid_on=body["paid_on"],
            reference=body["reference"],
            today=service_context().today(),
        )

        def pay_once() -> Any:
            with unit_of_work() as uow:
                return tranches.pay_tranche(uow, command)

        return run_idempotently(body, pay_once, PaymentSchema())
