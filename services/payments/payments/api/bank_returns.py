"""The bank's return files: `POST /api/v1/payment-runs/{id}/status-report` (pain.002) and
`POST /api/v1/bank-statements` (camt.053/054), `GET /api/v1/bank-statements/{id}`; the officer's work
list of unmatched lines across files, its export, and the decision on a line (decision 0027)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cnum_shared.core.exports import Kind, column
from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.exports import EXPORT_DOC, ExportQuerySchema, export_response
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    abort,
    current_principal,
    service_context,
)
from payments.api.context import unit_of_work
from payments.domain.bank_returns import (
    BANK_LINES,
    DISMISSAL_LABELS,
    DismissalReason,
    LineOutcome,
    LineResolution,
)
from payments.service_layer import bank_returns, commands, queries
from payments.service_layer.bank_returns import BankFileImport

blp = Blueprint(
    "bank_returns",
    __name__,
    url_prefix="",
    description="Fichiers retour de la banque (pain.002, camt.053/054)",
)

#: A month's statement of the programme's account is a few megabytes; the reader refuses beyond 20 MB.
MAX_UPLOAD = 20 * 1024 * 1024


class BankFileUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "le fichier XML ISO 20022 reçu de la banque"})


class BankFileLineSchema(Schema):
    position = fields.Integer(metadata={"description": "rang de la ligne dans le fichier, à partir de 0"})
    credit = fields.Boolean(allow_none=True, metadata={"description": "relevé : crédit (vrai) ou débit"})
    amount = money_field(required=False, allow_none=True)
    currency = fields.String(allow_none=True)
    booking_date = fields.Date(allow_none=True)
    end_to_end_id = fields.String(allow_none=True)
    remittance = fields.String(allow_none=True)
    bank_reference = fields.String(allow_none=True)
    status = fields.String(
        allow_none=True, metadata={"description": "pain.002 : TxSts (ACCP, RJCT…) ; relevé : BOOK, PDNG…"}
    )
    reason_code = fields.String(allow_none=True, metadata={"description": "code motif de la banque (AC04…)"})
    outcome = fields.String(metadata={"enum": [outcome.value for outcome in LineOutcome]})
    payment_run_id = fields.UUID(allow_none=True)
    tranche_id = fields.UUID(allow_none=True)
    recovery_id = fields.UUID(allow_none=True)
    note = fields.String(allow_none=True)
    id = fields.UUID()
    bank_file_id = fields.UUID()
    repeats_line_id = fields.UUID(
        allow_none=True, metadata={"description": "la ligne d'un fichier précédent que celle-ci répète"}
    )
    resolution = fields.String(
        allow_none=True,
        metadata={
            "enum": [resolution.value for resolution in LineResolution],
            "description": "ligne à traiter par un agent : open, received ou dismissed ; vide sinon",
        },
    )
    dismissed_reason = fields.String(
        allow_none=True, metadata={"enum": [reason.value for reason in DismissalReason]}
    )
    resolution_comment = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)


class BankFileSchema(Schema):
    id = fields.UUID(attribute="file.id")
    kind = fields.String(attribute="file.kind", metadata={"enum": ["pain.002", "camt.053", "camt.054"]})
    sha256 = fields.String(attribute="file.sha256")
    message_id = fields.String(attribute="file.message_id")
    payment_run_id = fields.UUID(attribute="file.payment_run_id", allow_none=True)
    account_iban = fields.String(attribute="file.account_iban", allow_none=True)
    imported_by = fields.String(attribute="file.imported_by")
    imported_at = fields.AwareDateTime(attribute="file.imported_at")
    replayed = fields.Boolean(metadata={"description": "fichier déjà importé : rien n'a été appliqué"})
    confirmed_runs = fields.List(fields.UUID(), metadata={"description": "ordres confirmés par ce relevé"})
    lines = fields.List(fields.Nested(BankFileLineSchema))
    unmatched = fields.Method("_unmatched", metadata={"description": "les lignes qu'un agent doit traiter"})

    def _unmatched(self, result: BankFileImport) -> Any:
        return BankFileLineSchema(many=True).dump(
            [line for line in result.lines if line.outcome == LineOutcome.UNMATCHED]
        )


def _upload() -> bytes:
    storage = request.files.get("file")
    if storage is None:
        abort(422, "Fichier manquant.", errors={"files": {"file": ["Champ « file » obligatoire."]}})
    assert storage is not None
    content: bytes = storage.stream.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        abort(413, f"Fichier trop volumineux : {MAX_UPLOAD // (1024 * 1024)} Mo au plus.")
    return content


def _answer(result: BankFileImport) -> Any:
    return result, 200 if result.replayed else 201


@blp.route("/payment-runs/<uuid:run_id>/status-report")
class PaymentRunStatusReport(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(BankFileUploadSchema, location="files")
    @blp.response(201, BankFileSchema)
    @blp.alt_response(200, schema=BankFileSchema, description="fichier déjà importé : la première réponse")
    def post(self, files: dict[str, Any], run_id: uuid.UUID) -> Any:
        """The bank's pain.002.001.03 for this run: each rejected transfer returns its tranche to
        `approved` with the bank's reason code; unknown transfers are listed as unmatched."""
        command = commands.ImportStatusReport(run_id, _upload(), current_principal().sub)
        with unit_of_work() as uow:
            return _answer(bank_returns.import_status_report(uow, command))


@blp.route("/bank-statements")
class BankStatements(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(BankFileUploadSchema, location="files")
    @blp.response(201, BankFileSchema)
    @blp.alt_response(200, schema=BankFileSchema, description="fichier déjà importé : la première réponse")
    def post(self, files: dict[str, Any]) -> Any:
        """A camt.054.001.02 or camt.053.001.02 of the programme's account: booked debits confirm cnum's
        transfers, booked credits receive the issued recoveries they name; the rest is unmatched."""
        command = commands.ImportStatement(_upload(), current_principal().sub)
        with unit_of_work() as uow:
            return _answer(bank_returns.import_statement(uow, command))


@blp.route("/bank-statements/<uuid:file_id>")
class BankStatement(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.response(200, BankFileSchema)
    def get(self, file_id: uuid.UUID) -> Any:
        """An imported statement: its matched and unmatched lines."""
        with unit_of_work(read_only=True) as uow:
            return bank_returns.get_bank_file(uow, file_id)


class UnmatchedLineSchema(BankFileLineSchema):
    file_kind = fields.String(metadata={"enum": ["pain.002", "camt.053", "camt.054"]})
    file_message_id = fields.String(metadata={"description": "MsgId du fichier de la banque"})
    imported_at = fields.AwareDateTime()
    imported_by = fields.String()


class UnmatchedLineQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(["open", "resolved"]),
        metadata={"description": "open : à traiter ; resolved : reçue ou écartée ; les deux par défaut"},
    )
    booked_from = fields.Date(metadata={"description": "comptabilisées ce jour ou après"})
    booked_to = fields.Date(metadata={"description": "comptabilisées ce jour ou avant"})
    amount = money_field(required=False, metadata={"description": "montant exact de la ligne (« 120.00 »)"})


class UnmatchedLineExportQuerySchema(UnmatchedLineQuerySchema, ExportQuerySchema):
    pass


def _line_filters(query: dict[str, Any]) -> queries.BankLineFilters:
    return queries.BankLineFilters(
        status=query.get("status"),
        booked_from=query.get("booked_from"),
        booked_to=query.get("booked_to"),
        amount=query.get("amount"),
    )


UNMATCHED_LINE_COLUMNS = (
    column("Comptabilisée le", "booking_date", Kind.DATE, width=14),
    column("Sens", "credit", width=8, labels={"True": "crédit", "False": "débit"}),
    column("Montant", "amount", Kind.AMOUNT),
    column("Devise", "currency", width=8),
    column("Référence de bout en bout", "end_to_end_id", width=36),
    column("Libellé", "remittance", width=40),
    column("Référence de la banque", "bank_reference", width=24),
    column("Motif de la banque", "reason_code", width=12),
    column("Observation", "note", width=50),
    column("Traitement", "resolution", width=18, labels=BANK_LINES.labels),
    column("Motif écarté", "dismissed_reason", width=26, labels=DISMISSAL_LABELS),
    column("Commentaire", "resolution_comment", width=30),
    column("Traitée par", "resolved_by"),
    column("Traitée le", "resolved_at", Kind.DATETIME),
    column("Reversement", "recovery_id", width=38),
    column("Fichier", "file_message_id", width=24),
    column("Type de fichier", "file_kind", width=10),
    column("Importé le", "imported_at", Kind.DATETIME),
    column("Rang dans le fichier", "position", Kind.INTEGER),
    column("Identifiant", "id", width=38),
)


@blp.route("/bank-statements/unmatched-lines")
class UnmatchedLines(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(UnmatchedLineQuerySchema, location="query")
    @blp.response(200, UnmatchedLineSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """The unmatched lines of every imported bank file, each bank fact once, in the order they came,
        filtered by booking date, amount, open or resolved (every matching one as a file:
        /bank-statements/unmatched-lines/export)."""
        with unit_of_work(read_only=True) as uow:
            page, total = queries.list_unmatched_lines(
                uow, _line_filters(query), pagination_parameters.first_item, pagination_parameters.page_size
            )
        pagination_parameters.item_count = total
        return page


@blp.route("/bank-statements/unmatched-lines/export")
class UnmatchedLinesExport(MethodView):
    @blp.roles(Role.FINANCE, *READERS)
    @blp.arguments(UnmatchedLineExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every unmatched line the list's filters match, as a CSV or XLSX file (French headers)."""
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_unmatched_lines(uow, _line_filters(query))
        return export_response(
            "lignes-bancaires-non-rapprochees",
            UNMATCHED_LINE_COLUMNS,
            rows,
            query["format"],
            service_context().today(),
        )


class ResolveLineSchema(Schema):
    recovery_id = fields.UUID(metadata={"description": "le reversement émis que ce crédit paie"})
    dismissed_reason = fields.String(
        validate=validate.OneOf([reason.value for reason in DismissalReason]),
        metadata={"description": "not_ours (ne concerne pas le programme), refund (remboursement), other"},
    )
    comment = fields.String(
        validate=validate.Length(max=1000), metadata={"description": "obligatoire pour le motif other"}
    )

    @validates_schema
    def _one_decision(self, data: dict[str, Any], **_: Any) -> None:
        if ("recovery_id" in data) == ("dismissed_reason" in data):
            raise ValidationError(
                "Indiquez soit le reversement que la ligne paie, soit le motif pour l'écarter.",
                field_name="recovery_id",
            )


@blp.route("/bank-statements/lines/<uuid:line_id>/resolve")
class ResolveLine(MethodView):
    @blp.roles(Role.FINANCE)
    @blp.arguments(ResolveLineSchema)
    @blp.response(200, BankFileLineSchema)
    def post(self, body: dict[str, Any], line_id: uuid.UUID) -> Any:
        """An officer's decision on an open line of the work list: it pays an issued recovery of its exact
        amount (the recovery is received on the line's booking date), or it is dismissed with a reason.
        The same decision again answers the line unchanged; another one on a resolved line is a 409."""
        reason = body.get("dismissed_reason")
        command = commands.ResolveBankLine(
            line_id=line_id,
            by=current_principal().sub,
            recovery_id=body.get("recovery_id"),
            dismissed_reason=DismissalReason(reason) if reason else None,
            comment=body.get("comment"),
        )
        with unit_of_work() as uow:
            return bank_returns.resolve_line(uow, command)
