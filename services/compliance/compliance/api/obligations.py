"""Obligations over HTTP: the list, one, its history, and an officer's decisions."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cnum_shared.core.exports import Kind, column
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.exports import EXPORT_DOC, ExportQuerySchema, export_response
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, current_principal, link, service_context
from compliance.api.blueprint import blp, unit_of_work, visible_obligation
from compliance.api.schemas import (
    DecisionSchema,
    ExtensionSchema,
    HistorySchema,
    ObligationQuerySchema,
    ObligationSchema,
)
from compliance.domain.obligations import LABELS, OBLIGATIONS, ObligationEvent
from compliance.service_layer import queries
from compliance.service_layer.commands import DecideObligation
from compliance.service_layer.obligations import decide_obligation


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
        with unit_of_work(read_only=True) as uow:
            page = queries.obligations(
                uow,
                structure_id=query.get("structure_id"),
                status=query.get("status"),
                kind=query.get("kind"),
                due_before=query.get("due_before"),
                offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size,
            )
        pagination_parameters.item_count = page.total
        return page.items


class ObligationExportQuerySchema(ObligationQuerySchema, ExportQuerySchema):
    pass


OBLIGATION_COLUMNS = (
    column("Structure", "loaded_structure_name", width=30),
    column("Identifiant de la structure", "structure_id", width=38),
    column("Obligation", "kind", width=40, labels=LABELS),
    column("Statut", "status", width=14, labels=OBLIGATIONS.labels),
    column("Échéance", "due_on", Kind.DATE),
    column("Période", "period", Kind.DATE),
    column("Source juridique", "source", width=40),
    column("Convention", "convention_id", width=38),
    column("Contrat", "contract_id", width=38),
    column("Identifiant", "id", width=38),
)


@blp.route("/obligations/export")
class ObligationsExport(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.arguments(ObligationExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every obligation the list's filters match, as a CSV or XLSX file (French headers); a
        structure exports its own."""
        principal = current_principal()
        if principal.is_structure():
            query["structure_id"] = principal.structure_id
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_obligations(
                uow,
                structure_id=query.get("structure_id"),
                status=query.get("status"),
                kind=query.get("kind"),
                due_before=query.get("due_before"),
            )
        return export_response(
            "obligations", OBLIGATION_COLUMNS, rows, query["format"], service_context().today()
        )


@blp.route("/obligations/<uuid:obligation_id>")
class ObligationById(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ObligationSchema)
    def get(self, obligation_id: uuid.UUID) -> Any:
        return visible_obligation(obligation_id)


@blp.route("/obligations/<uuid:obligation_id>/history")
class ObligationHistoryView(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, HistorySchema(many=True))
    def get(self, obligation_id: uuid.UUID) -> Any:
        visible_obligation(obligation_id)
        with unit_of_work(read_only=True) as uow:
            return queries.history(uow, obligation_id)


def _decision(obligation_id: uuid.UUID, event: ObligationEvent, body: dict[str, Any]) -> Any:
    command = DecideObligation(
        obligation_id=obligation_id,
        event=event,
        by=current_principal().sub,
        reason=body["reason"],
        today=service_context().today(),
        due_on=body.get("due_on"),
    )
    with unit_of_work() as uow:
        return decide_obligation(uow, command)


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
