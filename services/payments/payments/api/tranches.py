"""Schedules, tranches, approval, payment (idempotent), holds, SMIC checks and balances."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from cnum_shared.core.wire import legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    abort,
    current_principal,
    ensure_structure_visible,
    link,
    service_context,
)
from payments.adapters.orm import ConventionCopy, SmicCheck
from payments.domain.tranches import TrancheConflict, TrancheStatus
from payments.service_layer import clawback, idempotency
from payments.service_layer import tranches as use_cases

blp = Blueprint("tranches", __name__, url_prefix="", description="Échéanciers, tranches et paiements")
F = TypeVar("F", bound=Callable[..., Any])


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


class ScheduleTrancheSchema(Schema):
    id = fields.UUID()
    number = fields.Integer()
    amount = money_field(required=False)
    due_on = fields.Date()
    status = fields.String()
    kind = fields.String(metadata={"enum": ["instalment", "regularisation"]})
    regularises = fields.Integer(allow_none=True)
    amendment_number = fields.Integer(allow_none=True)


class ScheduleSchema(Schema):
    convention_id = fields.UUID()
    structure_id = fields.UUID()
    reference = fields.String()
    total_amount = money_field(required=False)
    status = fields.String()
    tranches = fields.List(fields.Nested(ScheduleTrancheSchema))


class HistorySchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    reason = fields.String()
    at = fields.AwareDateTime()


class TrancheQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in TrancheStatus]))
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


class HoldRequestSchema(Schema):
    structure_id = fields.UUID(load_default=None, metadata={"description": "absent : tout le programme"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class HoldSchema(HoldRequestSchema):
    id = fields.UUID()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    released_by = fields.String(allow_none=True)
    released_at = fields.AwareDateTime(allow_none=True)


class SmicCheckSchema(Schema):
    id = fields.UUID()
    contract_id = fields.UUID()
    structure_id = fields.UUID()
    checked_on = fields.Date()
    trigger = fields.String()
    zone = fields.String()
    smic_monthly = money_field(required=False)
    smic_from = fields.Date()
    salary = money_field(required=False)
    passed = fields.Boolean()


class SmicCheckQuerySchema(Schema):
    contract_id = fields.UUID()
    structure_id = fields.UUID()


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
            "enum": ["post_ended", "regularisation"],
            "description": "poste terminé (article 6) ou reversement après un avenant de réduction",
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

    def _periods(self, recovery: Any) -> Any:
        if recovery.kind != "post_ended":
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


def _reasons(error: use_cases.ApprovalRefused) -> dict[str, Any]:
    return {"reasons": [{"code": reason.code.value, "message": reason.message} for reason in error.reasons]}


def _refuse(error: Exception) -> Any:
    if isinstance(error, use_cases.ApprovalRefused):
        return abort(409, "Approbation refusée : " + str(error), errors=_reasons(error))
    if isinstance(error, TrancheConflict):
        return abort(409, str(error), errors={"reasons": [{"code": error.code, "message": str(error)}]})
    if isinstance(error, use_cases.FourEyes):
        return abort(403, str(error))
    return abort(404, "Ressource introuvable.")


_REFUSED = (use_cases.ApprovalRefused, TrancheConflict, use_cases.FourEyes, use_cases.TrancheNotFound)


def _json(body: dict[str, Any], status: int) -> Response:
    """An answer sent as it was stored, so that a replay is the same body (not serialized twice)."""
    response = jsonify(body)
    response.status_code = status
    return response


def run_idempotently(
    body: dict[str, Any],
    action: Callable[[], Any],
    schema: Schema,
    refused: tuple[type[Exception], ...],
    refuse: Callable[[Exception], Any],
) -> Any:
    """Run `action` once per Idempotency-Key (DESIGN §4): replay the stored 201, refuse another body."""
    context = service_context()
    try:
        claimed = idempotency.claim(
            context.database,
            principal=current_principal().sub,
            method=request.method,
            path=request.path,
            key=request.headers["Idempotency-Key"].strip(),
            request_hash=idempotency.body_hash(body),
            now=context.clock.now(),
        )
    except idempotency.KeyReusedWithAnotherBody:
        return abort(422, "Cette clé d'idempotence a déjà servi pour une autre demande.")
    except idempotency.KeyInProgress:
        return abort(409, "Une demande avec cette clé est en cours.", headers={"Retry-After": "1"})
    if isinstance(claimed, idempotency.Replay):
        return _json(claimed.body, claimed.status)
    try:
        result = action()
    except refused as error:
        idempotency.release(context.database, claimed)
        return refuse(error)
    except Exception:
        idempotency.release(context.database, claimed)
        raise
    answer: dict[str, Any] = schema.dump(result)
    idempotency.complete(context.database, claimed, 201, answer)
    return _json(answer, 201)


def requires_idempotency_key(view: F) -> F:
    """400 without an `Idempotency-Key`, checked right after authentication (before the body)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            abort(400, "En-tête Idempotency-Key obligatoire : il protège d'un double paiement.")
        if len(key) > idempotency.MAX_KEY_LENGTH or not key.isprintable():
            abort(400, "En-tête Idempotency-Key invalide (255 caractères imprimables au plus).")
        return view(*args, **kwargs)

    return cast(F, wrapper)


@blp.route("/schedules/<uuid:convention_id>")
class Schedule(MethodView):
    @blp.roles(Role.FINANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ScheduleSchema)
    @blp.links(
        200,
        GetTranche=link("/tranches/{tranche_id}", "get", tranche_id="$response.body#/tranches/0/id"),
        TrancheHistory=link(
            "/tranches/{tranche_id}/history", "get", tranche_id="$response.body#/tranches/0/id"
        ),
        ApproveTranche=link(
            "/tranches/{tranche_id}/approve", "post", tranche_id="$response.body#/tranches/0/id"
        ),
        PayTranche=link("/tranches/{tranche_id}/pay", "post", tranche_id="$response.body#/tranches/0/id"),
        Balance=link(
            "/conventions/{convention_id}/balance", "get", convention_id="$request.path.convention_id"
        ),
    )
    def get(self, convention_id: uuid.UUID) -> Any:
        """The tranches of a convention (a structure sees its own)."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                convention, tranches = use_cases.schedule(uow, convention_id)
            except use_cases.TrancheNotFound:
                return abort(404, "Aucun échéancier pour cette convention.")
            ensure_structure_visible(convention.structure_id, "Aucun échéancier pour cette convention.")
            return {
                "convention_id": convention.convention_id,
                "structure_id": convention.structure_id,
                "reference": convention.reference,
                "total_amount": convention.total_amount,
                "status": convention.status,
                "tranches": tranches,
            }


@blp.route("/tranches")
class Tranches(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(TrancheQuerySchema, location="query")
    @blp.response(200, TrancheSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Tranches by due date, filtered by status, due date, structure or convention."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            page, total = use_cases.list_tranches(
                uow,
                use_cases.TrancheFilters(**query),
                pagination_parameters.first_item,
                pagination_parameters.page_size,
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/tranches/<uuid:tranche_id>")
class TrancheById(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, TrancheSchema)
    def get(self, tranche_id: uuid.UUID) -> Any:
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                return use_cases.get_tranche(uow, tranche_id)
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/tranches/<uuid:tranche_id>/history")
class TrancheHistory(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, HistorySchema(many=True))
    def get(self, tranche_id: uuid.UUID) -> Any:
        """Every change of the tranche: from, to, who, why, when."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            try:
                return use_cases.tranche_history(uow, tranche_id)
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/tranches/<uuid:tranche_id>/approve")
class Approve(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(ApprovalSchema)
    @blp.response(200, TrancheSchema)
    @blp.alt_response(409, description="Refusée : errors.reasons liste chaque motif")
    def post(self, body: dict[str, Any], tranche_id: uuid.UUID) -> Any:
        """Approve a due tranche: every gate is checked on today's date (obligations, SMIC, holds, order)."""
        context = service_context()
        with context.database.unit_of_work() as uow:
            try:
                return use_cases.approve(
                    uow, tranche_id, current_principal().sub, context.today(), body["comment"]
                )
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/tranches/<uuid:tranche_id>/pay")
class Pay(MethodView):
    @blp.roles(Role.FINANCE)
    @requires_idempotency_key
    @blp.arguments(PaymentRequestSchema)
    @blp.response(201, PaymentSchema)
    @blp.doc(
        parameters=[
            {"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string"}}
        ]
    )
    def post(self, body: dict[str, Any], tranche_id: uuid.UUID) -> Any:
        """Pay an approved tranche, once whatever the retries (Idempotency-Key), by another officer."""
        context = service_context()
        principal = current_principal()

        def pay_once() -> Any:
            with context.database.unit_of_work() as uow:
                return use_cases.pay(
                    uow, tranche_id, principal.sub, body["paid_on"], body["reference"], context.today()
                )

        return run_idempotently(body, pay_once, PaymentSchema(), _REFUSED, _refuse)


@blp.route("/holds")
class Holds(MethodView):
    @blp.roles(Role.ADMIN)
    @blp.arguments(HoldRequestSchema)
    @blp.response(201, HoldSchema)
    @blp.links(
        201,
        LiftHold=link("/holds/{hold_id}", "delete", hold_id="$response.body#/id"),
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Suspend payments, programme-wide or for one structure, with a reason (the 2025 freeze)."""
        with service_context().database.unit_of_work() as uow:
            return use_cases.place_hold(uow, body["structure_id"], body["reason"], current_principal().sub)

    @blp.roles(Role.ADMIN, Role.FINANCE, Role.AUDITOR)
    @blp.response(200, HoldSchema(many=True))
    def get(self) -> Any:
        """The holds in force."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            return use_cases.list_holds(uow)


@blp.route("/holds/<uuid:hold_id>")
class HoldById(MethodView):
    @blp.roles(Role.ADMIN)
    @blp.response(200, HoldSchema)
    def delete(self, hold_id: uuid.UUID) -> Any:
        """Lift a hold."""
        with service_context().database.unit_of_work() as uow:
            try:
                return use_cases.release_hold(uow, hold_id, current_principal().sub)
            except use_cases.TrancheNotFound:
                return abort(404, "Suspension introuvable ou déjà levée.")


@blp.route("/smic-checks")
class SmicChecks(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(SmicCheckQuerySchema, location="query")
    @blp.response(200, SmicCheckSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Each comparison of a salary with the SMIC: date, zone, SMIC figure, salary, result."""
        statement = select(SmicCheck)
        if query.get("contract_id"):
            statement = statement.where(SmicCheck.contract_id == query["contract_id"])
        if query.get("structure_id"):
            statement = statement.where(SmicCheck.structure_id == query["structure_id"])
        with service_context().database.unit_of_work(read_only=True) as uow:
            total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            page = uow.session.scalars(
                statement.order_by(SmicCheck.checked_on, SmicCheck.created_at, SmicCheck.id)
                .offset(pagination_parameters.first_item)
                .limit(pagination_parameters.page_size)
            ).all()
        pagination_parameters.item_count = total
        return page


@blp.route("/conventions/<uuid:convention_id>/balance")
class Balance(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, BalanceSchema)
    def get(self, convention_id: uuid.UUID) -> Any:
        """Total, paid, due (due, blocked or approved) and recoverable."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            convention = uow.session.get(ConventionCopy, convention_id)
            if convention is None:
                return abort(404, "Convention inconnue des paiements.")
            return clawback.balance(uow.session, convention)
