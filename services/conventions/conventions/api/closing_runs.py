"""`/api/v1/closing-runs`: every convention whose funding ends in a period closed in the background, with
its progress, the summary of the statements payments sent back, and a ZIP of them (decision 0035)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import send_file
from flask.views import MethodView
from marshmallow import Schema, fields

from cnum_shared.core.wire import legal_date, money_field
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, current_principal, link
from conventions.api.context import adapters, today, unit_of_work
from conventions.domain.background_runs import RunStatus, progress
from conventions.service_layer.closing_runs import (
    archive_path,
    closing_run_report,
    closing_runs,
    launch_closing_run,
)
from conventions.service_layer.commands import LaunchClosingRun

blp = Blueprint("closing_runs", __name__, url_prefix="/closing-runs", description="Clôtures en masse")

#: DESIGN §5 and decision 0030: legal officers close conventions; finance settles them and launches the
#: closing of a year; admin by R3.
LAUNCHERS = (Role.FINANCE, Role.LEGAL, Role.ADMIN)


class ClosingRunRequestSchema(Schema):
    funding_ends_from = legal_date(
        required=True, metadata={"description": "premier jour de la période de fin de financement"}
    )
    funding_ends_to = legal_date(
        required=True, metadata={"description": "dernier jour de la période (inclus)"}
    )


class ClosingRunSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": [status.value for status in RunStatus]})
    funding_ends_from = fields.Date()
    funding_ends_to = fields.Date()
    total = fields.Integer()
    done = fields.Integer(
        metadata={"description": "conventions traitées (clôturées, déjà clôturées, pas encore échues)"}
    )
    failed = fields.Integer()
    progress = fields.Method("_progress", metadata={"description": "part traitée, de 0 à 100"})
    archive_ready = fields.Method("_archive_ready")
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    archived_at = fields.AwareDateTime(allow_none=True)

    def _progress(self, run: Any) -> int:
        return progress(run.done, run.failed, run.total)

    def _archive_ready(self, run: Any) -> bool:
        return run.archive_path is not None


class ItemLineSchema(Schema):
    convention_id = fields.UUID()
    reference = fields.String()
    end_date = fields.Date()
    error = fields.String(allow_none=True)


class SettledSchema(Schema):
    conventions = fields.Integer()
    amount = money_field()


class SummarySchema(Schema):
    to_pay = fields.Method("_to_pay", metadata={"description": "conventions à payer et somme à payer"})
    to_recover = fields.Method("_to_recover", metadata={"description": "conventions et somme à reverser"})
    nothing = fields.Integer(metadata={"description": "conventions sans rien à régler"})
    awaited = fields.Integer(metadata={"description": "décomptes encore attendus de payments"})

    def _to_pay(self, summary: Any) -> Any:
        return SettledSchema().dump({"conventions": summary.to_pay, "amount": summary.to_pay_amount})

    def _to_recover(self, summary: Any) -> Any:
        return SettledSchema().dump({"conventions": summary.to_recover, "amount": summary.to_recover_amount})


class CountsSchema(Schema):
    total = fields.Integer()
    pending = fields.Integer()
    closed = fields.Integer(metadata={"description": "clôturées par cette clôture"})
    already_closed = fields.Integer(metadata={"description": "déjà clôturées"})
    not_ended = fields.Integer(metadata={"description": "pas encore échues"})
    failed = fields.Integer()
    statements_expected = fields.Integer()
    statements_received = fields.Integer()


class ClosingRunReportSchema(ClosingRunSchema):
    counts = fields.Method("_counts")
    summary = fields.Nested(SummarySchema)
    failures = fields.List(fields.Nested(ItemLineSchema), metadata={"description": "au plus 500"})
    not_yet_ended = fields.List(fields.Nested(ItemLineSchema), metadata={"description": "au plus 500"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        # The run's own fields are read on the run; the report's on the report.
        if attr in ClosingRunSchema._declared_fields and hasattr(obj, "run"):
            return super().get_attribute(obj.run, attr, default)
        return super().get_attribute(obj, attr, default)

    def _progress(self, report: Any) -> Any:
        return report.progress

    def _archive_ready(self, report: Any) -> bool:
        return bool(report.archive_ready)

    def _counts(self, report: Any) -> Any:
        return CountsSchema().dump(
            {
                "total": report.run.total,
                **{key: getattr(report, key) for key in CountsSchema._declared_fields if key != "total"},
            }
        )


def _report(run_id: uuid.UUID) -> Any:
    with unit_of_work(read_only=True) as uow:
        return closing_run_report(uow, run_id)


@blp.route("")
class ClosingRuns(MethodView):
    @blp.roles(*LAUNCHERS)
    @blp.arguments(ClosingRunRequestSchema)
    @blp.response(202, ClosingRunReportSchema)
    @blp.alt_response(
        200,
        schema=ClosingRunReportSchema,
        description="la clôture de cette période, telle qu'elle est : rien de plus à faire",
    )
    @blp.links(
        202,
        GetClosingRun=link("/closing-runs/{run_id}", "get", run_id="$response.body#/id"),
        ClosingRunArchive=link("/closing-runs/{run_id}/archive", "get", run_id="$response.body#/id"),
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Queue the closing of every convention whose funding ends in the period (202). The same period
        again answers its run: as it is while it runs or when nothing is left to do (200), relaunched for
        its failures and the conventions ended since (202); nothing is ever closed twice."""
        command = LaunchClosingRun(
            body["funding_ends_from"], body["funding_ends_to"], current_principal().sub, today()
        )
        with unit_of_work() as uow:
            launched = launch_closing_run(uow, command)
        report = _report(launched.run.id)
        return (report, 202) if launched.queued else (report, 200)

    @blp.roles(*LAUNCHERS, *READERS)
    @blp.response(200, ClosingRunSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters: Any) -> Any:
        """The closing runs, newest first."""
        with unit_of_work(read_only=True) as uow:
            page, total = closing_runs(uow, pagination_parameters.first_item, pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return page


@blp.route("/<uuid:run_id>")
class ClosingRunById(MethodView):
    @blp.roles(*LAUNCHERS, *READERS)
    @blp.response(200, ClosingRunReportSchema)
    def get(self, run_id: uuid.UUID) -> Any:
        """A run, its progress, what became of its conventions and the summary of their statements."""
        return _report(run_id)


@blp.route("/<uuid:run_id>/archive")
class ClosingRunArchive(MethodView):
    @blp.roles(*LAUNCHERS, *READERS)
    @blp.doc(responses={"200": {"description": "ZIP des décomptes", "content": {"application/zip": {}}}})
    def get(self, run_id: uuid.UUID) -> Any:
        """The ZIP of the statements' PDFs and a summary CSV, once every statement is in (409 before)."""
        with unit_of_work(read_only=True) as uow:
            path = archive_path(uow, run_id, adapters())
        return send_file(
            path, mimetype="application/zip", as_attachment=True, download_name=f"cloture-{run_id}.zip"
        )
