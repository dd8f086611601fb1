"""`/api/v1/advisors/{id}/personal-data`: everything held on one person, on request (RGPD art. 15)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.framework.auth import Role
from cnum_shared.framework.web import Blueprint, current_principal
from conventions.api.context import today, unit_of_work
from conventions.service_layer import personal_data as use_cases
from conventions.service_layer.commands import ExportPersonalData

blp = Blueprint(
    "personal_data", __name__, url_prefix="", description="Données personnelles des conseillers (RGPD)"
)


class IdentitySchema(Schema):
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    email = fields.String()
    is_retired = fields.Boolean()
    in_civic_service = fields.Boolean()
    is_france_services_agent = fields.Boolean()
    registered_by_structure_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()


class _OnConventionSchema(Schema):
    id = fields.UUID()
    convention_id = fields.UUID()
    convention_reference = fields.String()
    convention_status = fields.String()
    convention_ended_on = fields.Date(allow_none=True)
    structure_id = fields.UUID()


class PresentationSchema(_OnConventionSchema):
    presented_on = fields.Date()
    selected_on = fields.Date(allow_none=True)
    created_at = fields.AwareDateTime()


class SalaryChangeRecordSchema(Schema):
    id = fields.UUID()
    gross_monthly_salary = fields.Decimal(as_string=True, places=2)
    effective_on = fields.Date()
    recorded_by = fields.String()
    created_at = fields.AwareDateTime()


class ContractRecordSchema(_OnConventionSchema):
    contract_type = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    weekly_hours = fields.Decimal(as_string=True, places=2)
    gross_monthly_salary = fields.Decimal(as_string=True, places=2)
    existing_cdi_employee = fields.Boolean()
    already_digital_mediator = fields.Boolean()
    mediator_case = fields.String(allow_none=True)
    original_contract_start_date = fields.Date(allow_none=True)
    place_of_work = fields.String(allow_none=True)
    line_manager = fields.String(allow_none=True, metadata={"description": "nom et fonction"})
    classification = fields.String(allow_none=True)
    collective_agreement = fields.String(allow_none=True)
    public_status = fields.String(allow_none=True)
    signed_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    salary_changes = fields.List(fields.Nested(SalaryChangeRecordSchema))


class DocumentDownloadRecordSchema(Schema):
    downloaded_at = fields.AwareDateTime()
    role = fields.String(metadata={"description": "catégorie du destinataire"})
    format = fields.String()
    sha256 = fields.String()


class DocumentRecordSchema(Schema):
    id = fields.UUID()
    template_name = fields.String()
    contract_id = fields.UUID()
    format = fields.String()
    sha256 = fields.String()
    template_sha256 = fields.String()
    size_bytes = fields.Integer()
    created_at = fields.AwareDateTime()
    purged_on = fields.Date(allow_none=True, metadata={"description": "jour où le fichier a été supprimé"})
    downloads = fields.List(fields.Nested(DocumentDownloadRecordSchema))


class RetentionSchema(Schema):
    parameter = fields.String()
    anonymised = fields.Boolean()
    anonymised_on = fields.Date(allow_none=True)
    kept_until = fields.Date(
        allow_none=True,
        metadata={"description": "dernier jour de conservation ; vide tant qu'une convention est en cours"},
    )
    message = fields.String()


class PersonalDataExportSchema(Schema):
    advisor_id = fields.UUID()
    generated_on = fields.Date()
    identity = fields.Nested(IdentitySchema)
    presentations = fields.List(fields.Nested(PresentationSchema))
    contracts = fields.List(fields.Nested(ContractRecordSchema))
    documents = fields.List(fields.Nested(DocumentRecordSchema))
    retention = fields.Nested(RetentionSchema)


_EXPORT = PersonalDataExportSchema()


@blp.route("/advisors/<uuid:advisor_id>/personal-data")
class AdvisorPersonalData(MethodView):
    @blp.roles(Role.LEGAL, Role.ADMIN, Role.STRUCTURE)
    @blp.doc(
        responses={
            "200": {
                "description": "Le document JSON de tout ce qui est conservé sur la personne (pièce jointe)",
                "content": {"application/json": {"schema": PersonalDataExportSchema}},
            }
        }
    )
    def get(self, advisor_id: uuid.UUID) -> Any:
        """Everything held on one person (RGPD art. 15): legal officers, admins and the structure that
        registered them only (DESIGN §5); each export is written to the audit log."""
        principal = current_principal()
        with unit_of_work() as uow:
            export = _EXPORT.dump(
                use_cases.export_personal_data(
                    uow,
                    ExportPersonalData(
                        advisor_id,
                        as_of=today(),
                        who=principal.sub,
                        role=principal.role.value,
                        path=request.path,
                        client_address=request.remote_addr,
                        viewer_structure_id=principal.structure_id if principal.is_structure() else None,
                    ),
                )
            )
        return Response(
            json.dumps(export, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="donnees-personnelles-{advisor_id}.json"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
