"""Training over HTTP: an advisor's training steps, and the exemption of one who holds the CCP1 or the
title."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import current_principal, service_context
from compliance.api.blueprint import adapters, blp, read_upload, settings, unit_of_work, visible_contract
from compliance.api.schemas import (
    ExemptionFileSchema,
    ExemptionFormSchema,
    ExemptionSchema,
    TrainingRecordSchema,
)
from compliance.service_layer import queries
from compliance.service_layer.commands import RecordExemption, RecordTraining
from compliance.service_layer.training import record_exemption, record_training


@blp.route("/training-records")
class TrainingRecords(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.ADMIN)
    @blp.arguments(TrainingRecordSchema)
    @blp.response(201, TrainingRecordSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """A training step of an advisor (entry, end, Pix, CCP1, module of 7 or 14 h)."""
        principal = current_principal()
        command = RecordTraining(
            contract_id=body["contract_id"],
            kind=body["kind"],
            on=body["date"],
            hours=body["hours"],
            by=principal.sub,
            today=service_context().today(),
            # A structure names only its own contracts: another's is answered as an unknown one.
            structure_id=principal.structure_id if principal.is_structure() else None,
        )
        with unit_of_work() as uow:
            return record_training(uow, command)


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
        content, name = read_upload(settings().evidence_max_bytes)
        visible_contract(contract_id)
        command = RecordExemption(
            contract_id=contract_id,
            qualification=form["qualification"],
            obtained_on=form["obtained_on"],
            content=content,
            file_name=name,
            by=current_principal().sub,
            today=service_context().today(),
        )
        with unit_of_work() as uow:
            recorded = record_exemption(uow, command, adapters().files)
        return {
            **{
                column: getattr(recorded.exemption, column)
                for column in ExemptionSchema().fields
                if column != "lifted"
            },
            "lifted": [obligation.id for obligation in recorded.lifted],
        }

    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, ExemptionSchema)
    @blp.alt_response(404, description="Contrat inconnu, ou sans dispense")
    def get(self, contract_id: uuid.UUID) -> Any:
        """The exemption recorded for the contract's advisor, with its evidence's SHA-256."""
        visible_contract(contract_id)
        with unit_of_work(read_only=True) as uow:
            return queries.exemption(uow, contract_id)
