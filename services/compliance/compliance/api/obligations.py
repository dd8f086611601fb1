"""Obligations, evidence, training records, activity reports, standings and alerts over HTTP."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import func, inspect, select
from sqlalchemy.orm.base import NO_VALUE

from cnum_shared.core.wire import legal_date
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.uploads import safe_file_name
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
from compliance.adapters.orm import (
    Alert,
    AlertItem,
    ContractCopy,
    Evidence,
    Obligation,
    ObligationHistory,
    Standing,
)
from compliance.config import ComplianceSettings
from compliance.domain.obligations import (
    ObligationConflict,
    ObligationEvent,
    ObligationKind,
    ObligationStatus,
)
from compliance.service_layer import records

blp = Blueprint("obligations", __name__, url_prefix="", description="Obligations des structures")


def _loaded_structure_name(row: Any) -> str | None:
    """The name when it was read with the row; never a query after the unit of work has ended."""
    if isinstance(row, dict):
        return cast(str | None, row.get("structure_name"))
    value = inspect(row).attrs.structure_name.loaded_value
    return None if value is NO_VALUE else cast(str | None, value)


class ObligationSchema(Schema):
    id = fields.UUID()
    structure_id = fields.UUID()
    structure_name = fields.Function(_loaded_structure_name, dump_only=True, allow_none=True)
    convention_id = fields.UUID()
    contract_id = fields.UUID(allow_none=True)
    kind = fields.String(metadata={"enum": [kind.value for kind in ObligationKind]})
    status = fields.String(metadata={"enum": [status.value for status in ObligationStatus]})
    due_on = fields.Date()
    period = fields.Date(allow_none=True)
    source = fields.String(metadata={"description": "la source juridique du délai"})


class ObligationQuerySchema(Schema):
    structure_id = fields.UUID()
    status = fields.String(validate=validate.OneOf([status.value for status in ObligationStatus]))
    kind = fields.String(validate=validate.OneOf([kind.value for kind in ObligationKind]))
    due_before = fields.Date()


class HistorySchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    reason = fields.String()
    at = fields.AwareDateTime()


class DecisionSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ExtensionSchema(DecisionSchema):
    due_on = legal_date(required=True)


class ExemptionFormSchema(Schema):
    qualification = fields.String(
        required=True,
        validate=validate.OneOf(tuple(records.QUALIFICATIONS)),
        metadata={"description": "ccp1 (le CCP1 du titre professionnel) ou title (le titre complet)"},
    )
    obtained_on = legal_date(required=True, metadata={"description": "date d'obtention"})


class ExemptionFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "le justificatif : PDF, PNG ou JPEG"})


class ExemptionSchema(Schema):
    id = fields.UUID()
    contract_id = fields.UUID()
    qualification = fields.String()
    obtained_on = fields.Date()
    sha256 = fields.String()
    file_name = fields.String()
    media_type = fields.String()
    size_bytes = fields.Integer()
    recorded_by = fields.String()
    created_at = fields.AwareDateTime()
    lifted = fields.List(
        fields.UUID(),
        dump_only=True,
        metadata={"description": "les obligations levées par la dispense (à l'enregistrement)"},
    )


class EvidenceSchema(Schema):
    id = fields.UUID()
    revision = fields.Integer()
    sha256 = fields.String()
    file_name = fields.String()
    media_type = fields.String()
    size_bytes = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.AwareDateTime()


class FileSchema(Schema):
    file = Upload(required=True)


class TrainingRecordSchema(Schema):
    id = fields.UUID(dump_only=True)
    contract_id = fields.UUID(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(("training_entry", "training_end", "pix", "ccp1", "module"))
    )
    date = legal_date(required=True)
    hours = fields.Integer(
        load_default=None, strict=True, metadata={"description": "7 ou 14, pour un module"}
    )


class ActivityReportRowSchema(Schema):
    external_id = fields.String(required=True)
    contract_id = fields.String(required=True)
    date = fields.String(required=True)
    kind = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    participants = fields.Integer(required=True)


class ActivityReportsSchema(Schema):
    reports = fields.List(
        fields.Nested(ActivityReportRowSchema), required=True, validate=validate.Length(min=1, max=50_000)
    )


class ImportReportSchema(Schema):
    imported = fields.Integer()
    already_known = fields.Integer()
    fulfilled = fields.Integer()


class OverdueSchema(Schema):
    obligation_id = fields.UUID()
    kind = fields.String()
    due_on = fields.Date()


class StandingSchema(Schema):
    structure_id = fields.UUID()
    blocking = fields.Boolean()
    overdue = fields.List(fields.Nested(OverdueSchema))
    as_of = fields.Date()


class AlertItemSchema(Schema):
    obligation_id = fields.UUID()
    step = fields.String(
        metadata={
            "enum": ["due_soon", "overdue", "escalation", "reminder_1", "reminder_2"],
            "description": (
                "due_soon, overdue, escalation (15 jours de retard, ou demandée par un agent) ; pour les "
                "comptes rendus d'activité : reminder_1 (1 mois sans CRA), reminder_2 (1,5 mois), puis "
                "escalation 15 jours après"
            ),
        }
    )
    officer_request = fields.Integer(
        metadata={"description": "0, ou n pour la n-ième escalade demandée par un agent (/escalate)"}
    )


class AlertSchema(Schema):
    id = fields.UUID()
    structure_id = fields.UUID()
    structure_name = fields.Function(_loaded_structure_name, dump_only=True, allow_none=True)
    digest_date = fields.Date()
    items = fields.List(fields.Nested(AlertItemSchema))
    recipients = fields.List(fields.String())
    cc = fields.List(fields.String())
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    sent_at = fields.AwareDateTime(allow_none=True)
    message_id = fields.String()
    last_error = fields.String(allow_none=True)


def _refuse(error: Exception) -> Any:
    if isinstance(error, records.InvalidRecord):
        return abort(422, str(error), errors={"json": error.problems})
    if isinstance(error, ObligationConflict | records.RecordConflict):
        return abort(409, str(error))
    return abort(404, "Obligation introuvable.")


_REFUSED = (records.InvalidRecord, ObligationConflict, records.RecordConflict, records.NotFound)


def _visible_obligation(uow: Any, obligation_id: uuid.UUID) -> Obligation:
    try:
        obligation = records.get_obligation(uow, obligation_id)
    except records.NotFound as error:
        return _refuse(error)  # type: ignore[no-any-return]
    ensure_structure_visible(obligation.structure_id, "Obligation introuvable.")
    return obligation


@blp.route("/obligations")
class Obligations(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.arguments(ObligationQuerySchema, location="query")
    @blp.response(200, ObligationSchema(many=True))
    @blp.links(
        200,
        GetObligation=link("/obligations/{obligation_id}", "get", obligation_id="$response.body#/0/id"),
        ObligationHistory=link(
            "/obligations/{obligation_id}/history", "get", obligation_id="$response.body#/0/id"
        ),
        UploadEvidence=link(
            "/obligations/{obligation_id}/evidence", "post", obligation_id="$response.body#/0/id"
        ),
        Evidence=link("/obligations/{obligation_id}/evidence", "get", obligation_id="$response.body#/0/id"),
        Fulfil=link("/obligations/{obligation_id}/fulfil", "post", obligation_id="$response.body#/0/id"),
        Waive=link("/obligations/{obligation_id}/waive", "post", obligation_id="$response.body#/0/id"),
        Extend=link("/obligations/{obligation_id}/extend", "post", obligation_id="$response.body#/0/id"),
        Escalate=link("/obligations/{obligation_id}/escalate", "post", obligation_id="$response.body#/0/id"),
    )
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Obligations, overdue first then by due date; a structure sees its own."""
        principal = current_principal()
        if principal.is_structure():
            query["structure_id"] = principal.structure_id
        statement = select(Obligation)
        for field in ("structure_id", "status", "kind"):
            if query.get(field):
                statement = statement.where(getattr(Obligation, field) == query[field])
        if query.get("due_before"):
            statement = statement.where(Obligation.due_on <= query["due_before"])
        overdue_first = (Obligation.status != ObligationStatus.OVERDUE.value).label("not_overdue")
        with service_context().database.unit_of_work(read_only=True) as uow:
            total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            page = uow.session.scalars(
                statement.order_by(overdue_first, Obligation.due_on, Obligation.id)
                .offset(pagination_parameters.first_item)
                .limit(pagination_parameters.page_size)
            ).all()
        pagination_parameters.item_count = total
        return page


@blp.route("/obligations/<uuid:obligation_id>")
class ObligationById(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ObligationSchema)
    def get(self, obligation_id: uuid.UUID) -> Any:
        with service_context().database.unit_of_work(read_only=True) as uow:
            return _visible_obligation(uow, obligation_id)


@blp.route("/obligations/<uuid:obligation_id>/history")
class ObligationHistoryView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, HistorySchema(many=True))
    def get(self, obligation_id: uuid.UUID) -> Any:
        with service_context().database.unit_of_work(read_only=True) as uow:
            _visible_obligation(uow, obligation_id)
            return uow.session.scalars(
                select(ObligationHistory)
                .where(ObligationHistory.obligation_id == obligation_id)
                .order_by(ObligationHistory.at, ObligationHistory.id)
            ).all()


def _decision(obligation_id: uuid.UUID, event: ObligationEvent, body: dict[str, Any]) -> Any:
    context = service_context()
    with context.database.unit_of_work() as uow:
        try:
            return records.decide(
                uow,
                obligation_id,
                event,
                current_principal().sub,
                body["reason"],
                context.today(),
                body.get("due_on"),
            )
        except _REFUSED as error:
            return _refuse(error)


@blp.route("/obligations/<uuid:obligation_id>/fulfil")
class Fulfil(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.ADMIN)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ObligationSchema)
    def post(self, body: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Accept the obligation as fulfilled (evidence seen, equipment checked…), with a reason."""
        return _decision(obligation_id, ObligationEvent.FULFIL, body)


@blp.route("/obligations/<uuid:obligation_id>/waive")
class Waive(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.ADMIN)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ObligationSchema)
    def post(self, body: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Lift the obligation, with a reason."""
        return _decision(obligation_id, ObligationEvent.WAIVE, body)


@blp.route("/obligations/<uuid:obligation_id>/extend")
class Extend(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.ADMIN)
    @blp.arguments(ExtensionSchema)
    @blp.response(200, ObligationSchema)
    def post(self, body: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Move the due date later (sick leave, leave…), with a reason kept in the history."""
        return _decision(obligation_id, ObligationEvent.EXTEND, body)


@blp.route("/obligations/<uuid:obligation_id>/escalate")
class Escalate(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.ADMIN)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ObligationSchema)
    @blp.alt_response(404, description="Obligation introuvable")
    @blp.alt_response(409, description="Obligation déjà remplie ou levée")
    def post(self, body: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Bring the compliance officer in, with a reason kept in the history: the structure's next
        digest copies them (CNUM_COMPLIANCE_OFFICER_EMAIL); the status does not change."""
        return _decision(obligation_id, ObligationEvent.ESCALATE, body)


@blp.route("/obligations/<uuid:obligation_id>/evidence")
class EvidenceView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, EvidenceSchema)
    def post(self, files: dict[str, Any], obligation_id: uuid.UUID) -> Any:
        """Upload a PDF, PNG or JPEG (checked by content) as a new revision; an officer then accepts it."""
        settings = service_context().settings
        assert isinstance(settings, ComplianceSettings)
        content, name = _read_upload(settings.evidence_max_bytes)
        with service_context().database.unit_of_work() as uow:
            _visible_obligation(uow, obligation_id)
            try:
                return records.add_evidence(
                    uow,
                    obligation_id,
                    content,
                    name,
                    current_principal().sub,
                    settings.var_dir,
                )
            except records.InvalidRecord as error:
                message = " ".join(error.problems.get("file", [])) or str(error)
                return abort(422, message, errors={"files": error.problems})
            except _REFUSED as error:
                return _refuse(error)

    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, EvidenceSchema(many=True))
    def get(self, obligation_id: uuid.UUID) -> Any:
        """Every revision of the evidence, the newest first."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            _visible_obligation(uow, obligation_id)
            return uow.session.scalars(
                select(Evidence)
                .where(Evidence.obligation_id == obligation_id)
                .order_by(Evidence.revision.desc())
            ).all()


@blp.route("/training-records")
class TrainingRecords(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(TrainingRecordSchema)
    @blp.response(201, TrainingRecordSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """A training step of an advisor (entry, end, Pix, CCP1, module of 7 or 14 h)."""
        context = service_context()
        principal = current_principal()
        with context.database.unit_of_work() as uow:
            try:
                # A structure names only its own contracts: another's is answered as an unknown one.
                return records.record_training(
                    uow,
                    body["contract_id"],
                    body["kind"],
                    body["date"],
                    body["hours"],
                    principal.sub,
                    context.today(),
                    principal.structure_id if principal.is_structure() else None,
                )
            except _REFUSED as error:
                return _refuse(error)


def _read_upload(max_bytes: int) -> tuple[bytes, str]:
    storage = request.files["file"]
    content = storage.stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        return abort(413, f"Fichier trop volumineux : {max_bytes // (1024 * 1024)} Mo au plus.")  # type: ignore[no-any-return]
    return content, safe_file_name(storage.filename, "justificatif")


def _visible_contract(uow: Any, contract_id: uuid.UUID) -> Any:
    contract = uow.session.get(ContractCopy, contract_id)
    if contract is None:
        return abort(404, "Contrat inconnu du suivi des obligations.")
    ensure_structure_visible(contract.structure_id, "Contrat inconnu du suivi des obligations.")
    return contract


@blp.route("/contracts/<uuid:contract_id>/training-exemption")
class TrainingExemptionView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.ADMIN)
    @blp.arguments(ExemptionFormSchema, location="form")
    @blp.arguments(ExemptionFileSchema, location="files")
    @blp.response(201, ExemptionSchema)
    @blp.alt_response(404, description="Contrat inconnu")
    @blp.alt_response(409, description="Dispense déjà enregistrée")
    @blp.alt_response(413, description="Justificatif trop volumineux")
    def post(self, form: dict[str, Any], files: dict[str, Any], contract_id: uuid.UUID) -> Any:
        """Record that the advisor already holds the CCP1 or the whole title, with the evidence (PDF,
        PNG or JPEG, checked by content, SHA-256 kept): the contract's initial training and
        certification exams are lifted with that reason, or never opened, and never alerted."""
        context = service_context()
        settings = context.settings
        assert isinstance(settings, ComplianceSettings)
        content, name = _read_upload(settings.evidence_max_bytes)
        with context.database.unit_of_work() as uow:
            _visible_contract(uow, contract_id)
            try:
                exemption, lifted = records.record_exemption(
                    uow,
                    contract_id,
                    form["qualification"],
                    form["obtained_on"],
                    content,
                    name,
                    current_principal().sub,
                    settings.var_dir,
                    context.today(),
                )
            except records.InvalidRecord as error:
                field = "files" if "file" in error.problems else "form"
                return abort(422, str(error), errors={field: error.problems})
            except _REFUSED as error:
                return _refuse(error)
            return {
                **{
                    column: getattr(exemption, column)
                    for column in ExemptionSchema().fields
                    if column != "lifted"
                },
                "lifted": [obligation.id for obligation in lifted],
            }

    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ExemptionSchema)
    @blp.alt_response(404, description="Contrat inconnu, ou sans dispense")
    def get(self, contract_id: uuid.UUID) -> Any:
        """The exemption recorded for the contract's advisor, with its evidence's SHA-256."""
        with service_context().database.unit_of_work(read_only=True) as uow:
            _visible_contract(uow, contract_id)
            try:
                return records.exemption_of(uow, contract_id)
            except records.NotFound:
                return abort(404, "Aucune dispense de formation initiale pour ce contrat.")


@blp.route("/activity-reports")
class ActivityReports(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.SERVICE, Role.REPORTER, Role.ADMIN)
    @blp.response(201, ImportReportSchema)
    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": ActivityReportsSchema},
                "text/csv": {"schema": {"type": "string", "description": ",".join(records.CRA_COLUMNS)}},
            }
        }
    )
    def post(self) -> Any:
        """Import CRA rows (JSON `{"reports": [...]}` or CSV): all or none, idempotent on external_id
        within the contract's structure. A structure imports rows on its own contracts only, and so does
        a `reporter` (an activity-report feeder) whose token names a structure; another structure's
        contract is refused as an unknown one."""
        context = service_context()
        principal = current_principal()
        # A structure user always names its structure; a feeder's token may (a national tool may not).
        scope = principal.structure_id if principal.role in (Role.STRUCTURE, Role.REPORTER) else None
        if request.mimetype == "text/csv":
            try:
                rows = records.parse_csv(request.get_data())
            except records.InvalidRecord as error:
                return _refuse(error)
        elif request.mimetype == "application/json":
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict):
                return abort(
                    422, "Comptes rendus invalides.", errors={"json": {"_schema": ["objet JSON attendu"]}}
                )
            errors = ActivityReportsSchema().validate(payload)
            if errors:
                return abort(422, "Comptes rendus invalides.", errors={"json": errors})
            rows = payload["reports"]
        else:
            return abort(415, "Envoyez du JSON (application/json) ou du CSV (text/csv).")
        with context.database.unit_of_work() as uow:
            try:
                return records.import_activity_reports(uow, rows, context.today(), scope)
            except _REFUSED as error:
                return _refuse(error)


@blp.route("/structures/<uuid:structure_id>/standing")
class StandingView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.FINANCE, Role.SERVICE, Role.STRUCTURE, *READERS)
    @blp.response(200, StandingSchema)
    def get(self, structure_id: uuid.UUID) -> Any:
        """Blocking while an obligation is overdue (404 for a structure compliance never heard of)."""
        ensure_structure_visible(structure_id)
        with service_context().database.unit_of_work(read_only=True) as uow:
            standing = uow.session.get(Standing, structure_id)
            if standing is None:
                return abort(404, "Structure inconnue du suivi des obligations.")
            overdue = uow.session.scalars(
                select(Obligation)
                .where(
                    Obligation.structure_id == structure_id,
                    Obligation.status == ObligationStatus.OVERDUE.value,
                )
                .order_by(Obligation.due_on)
            ).all()
            return {
                "structure_id": structure_id,
                "blocking": bool(overdue),
                "overdue": [{"obligation_id": o.id, "kind": o.kind, "due_on": o.due_on} for o in overdue],
                "as_of": service_context().today(),
            }


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters: Any) -> Any:
        """The digests sent (or waiting for SMTP), with their items, recipients and delivery status; a
        structure sees its own."""
        principal = current_principal()
        mine = [Alert.structure_id == principal.structure_id] if principal.is_structure() else []
        with service_context().database.unit_of_work(read_only=True) as uow:
            total = uow.session.scalar(select(func.count()).select_from(Alert).where(*mine)) or 0
            alerts = uow.session.scalars(
                select(Alert)
                .where(*mine)
                .order_by(Alert.digest_date.desc(), Alert.created_at.desc())
                .offset(pagination_parameters.first_item)
                .limit(pagination_parameters.page_size)
            ).all()
            items = uow.session.execute(
                select(
                    AlertItem.alert_id, AlertItem.obligation_id, AlertItem.step, AlertItem.officer_request
                ).where(AlertItem.alert_id.in_([alert.id for alert in alerts]))
            ).all()
        pagination_parameters.item_count = total
        by_alert: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for alert_id, obligation_id, step, officer_request in items:
            by_alert.setdefault(alert_id, []).append(
                {"obligation_id": obligation_id, "step": step, "officer_request": officer_request}
            )
        return [
            {
                **{column: getattr(alert, column) for column in AlertSchema().fields if column != "items"},
                "items": by_alert.get(alert.id, []),
            }
            for alert in alerts
        ]
