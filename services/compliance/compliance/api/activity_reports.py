"""Activity reports (CRA) over HTTP: an import, in JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from cnum_shared.framework.auth import Role
from cnum_shared.framework.web import abort, current_principal, service_context
from compliance.api.blueprint import blp, unit_of_work
from compliance.api.schemas import ActivityReportsSchema, ImportReportSchema
from compliance.service_layer.activity_reports import CRA_COLUMNS, import_activity_reports, parse_csv
from compliance.service_layer.commands import ImportActivityReports


@blp.route("/activity-reports")
class ActivityReports(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, Role.SERVICE, Role.REPORTER, Role.ADMIN)
    @blp.response(201, ImportReportSchema)
    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": ActivityReportsSchema},
                "text/csv": {"schema": {"type": "string", "description": ",".join(CRA_COLUMNS)}},
            }
        }
    )
    def post(self) -> Any:
        """Import CRA rows (JSON `{"reports": [...]}` or CSV): all or none, idempotent on external_id
        within the contract's structure. A structure imports rows on its own contracts only, and so does
        a `reporter` (an activity-report feeder) whose token names a structure; another structure's
        contract is refused as an unknown one."""
        principal = current_principal()
        # A structure user always names its structure; a feeder's token may (a national tool may not).
        scope = principal.structure_id if principal.role in (Role.STRUCTURE, Role.REPORTER) else None
        if request.mimetype == "text/csv":
            rows = parse_csv(request.get_data())
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
        command = ImportActivityReports(tuple(rows), service_context().today(), scope)
        with unit_of_work() as uow:
            return import_activity_reports(uow, command)
