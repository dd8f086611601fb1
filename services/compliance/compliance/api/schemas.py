"""The shapes the compliance API reads and answers."""

from __future__ import annotations

from typing import Any, cast

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from cnum_shared.core.wire import legal_date
from compliance.domain.alerts import ALERT_KIND_LABELS, RECOVERY_REASONS, AlertKind, AlertStep
from compliance.domain.obligations import ObligationKind, ObligationStatus
from compliance.service_layer.activity_reports import CRA_COLUMNS
from compliance.service_layer.training import QUALIFICATIONS, TRAINING_KINDS

__all__ = ["CRA_COLUMNS"]


def _loaded_structure_name(row: Any) -> str | None:
    """The name when it was read with the row; never a query after the unit of work has ended."""
    if isinstance(row, dict):
        return cast(str | None, row.get("structure_name"))
    return cast(str | None, row.loaded_structure_name)


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
        validate=validate.OneOf(tuple(QUALIFICATIONS)),
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
    kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS))
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
            "enum": [step.value for step in AlertStep],
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


class AlertRecoverySchema(Schema):
    """The recovery a recovery order tells about, as payments issued it."""

    recovery_id = fields.UUID()
    convention_id = fields.UUID()
    convention_reference = fields.String()
    kind = fields.String(metadata={"enum": list(RECOVERY_REASONS)})
    reason = fields.Function(lambda order: RECOVERY_REASONS[order.kind], dump_only=True)
    amount = fields.Decimal(places=2, as_string=True)
    issued_on = fields.Date()
    pay_by = fields.Date()
    payment_reference = fields.String()


class AlertFinalStatementSchema(Schema):
    """The final statement a closing's e-mail tells about, with payments' figures as it settled them."""

    convention_id = fields.UUID()
    convention_reference = fields.String()
    closed_on = fields.Date()
    as_of = fields.Date()
    granted = fields.Decimal(places=2, as_string=True)
    earned = fields.Decimal(places=2, as_string=True)
    paid = fields.Decimal(places=2, as_string=True)
    balance = fields.Decimal(places=2, as_string=True)
    to_pay = fields.Decimal(places=2, as_string=True)
    to_recover = fields.Decimal(places=2, as_string=True)
    in_payment = fields.Decimal(places=2, as_string=True)
    claimed = fields.Decimal(places=2, as_string=True)
    to_settle = fields.Decimal(places=2, as_string=True)
    settlement_kind = fields.String(
        allow_none=True,
        metadata={
            "description": "payment : la clôture a inscrit un dernier versement ; null : rien ne reste"
        },
    )
    settlement_amount = fields.Decimal(places=2, as_string=True, allow_none=True)


class AlertSchema(Schema):
    id = fields.UUID()
    kind = fields.String(
        metadata={
            "enum": [kind.value for kind in AlertKind],
            "description": (
                "digest (récapitulatif des obligations), recovery_order (ordre de reversement) ou "
                "final_statement (décompte final)"
            ),
        }
    )
    kind_label = fields.String(
        metadata={"description": "la nature de l'alerte : " + ", ".join(ALERT_KIND_LABELS.values())}
    )
    structure_id = fields.UUID()
    structure_name = fields.Function(_loaded_structure_name, dump_only=True, allow_none=True)
    digest_date = fields.Date(
        metadata={
            "description": (
                "le jour du récapitulatif ; d'un ordre de reversement, son émission ; d'un décompte final, "
                "la clôture"
            )
        }
    )
    items = fields.List(fields.Nested(AlertItemSchema))
    recovery = fields.Nested(AlertRecoverySchema, allow_none=True)
    final_statement = fields.Nested(AlertFinalStatementSchema, allow_none=True)
    recipients = fields.List(fields.String())
    cc = fields.List(fields.String())
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    sent_at = fields.AwareDateTime(allow_none=True)
    message_id = fields.String()
    last_error = fields.String(allow_none=True)
