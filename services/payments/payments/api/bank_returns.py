"""The bank's return files: `POST /api/v1/payment-runs/{id}/status-report` (pain.002) and
`POST /api/v1/bank-statements` (camt.053/054), `GET /api/v1/bank-statements/{id}` (decision 0027)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from cnum_shared.core.wire import money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import Blueprint, abort, current_principal
from payments.api.context import unit_of_work
from payments.domain.bank_returns import LineOutcome
from payments.service_layer import bank_returns, commands
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
