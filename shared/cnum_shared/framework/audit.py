"""The audit log of every service: each write attempt through the API (who, what, when, answer).

DESIGN §4 asks that every write of every service be in an audit log. The log is written by an
`after_request` hook, once the view's own transaction has ended, so that a refused request is logged as
well as an accepted one (with its status). It records the request, never its body: personal data stays
out of the log.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, request
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import Table, func, insert, select

from cnum_shared.framework.audit_table import define_audit_table as define_audit_table  # re-exported
from cnum_shared.framework.auth import READERS
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    ServiceContext,
    client_address,
    service_context,
)

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def install_audit(app: Flask, context: ServiceContext, table: Table) -> None:
    """Log each authenticated write the app answers."""

    @app.after_request
    def _audit(response: Response) -> Response:
        principal = g.get("cnum_principal")
        if request.method not in WRITE_METHODS or principal is None:
            return response
        try:
            with context.database.engine.begin() as connection:
                connection.execute(
                    insert(table).values(
                        at=utcnow(),
                        actor=principal.sub[:200],
                        role=principal.role.value,
                        method=request.method,
                        path=request.path[:500],
                        status=response.status_code,
                        client_address=(client_address() or "")[:64] or None,
                    )
                )
        except Exception:  # the answer is already decided: say loudly that its trace is missing
            logger.exception(
                "audit log write failed for %s %s by %s", request.method, request.path, principal.sub
            )
        return response


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String()
    role = fields.String()
    method = fields.String()
    path = fields.String()
    status = fields.Integer()
    client_address = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    actor = fields.String()


def audit_blueprint(table: Table) -> Blueprint:
    """`GET /api/v1/audit`: the writes, newest first (auditors and admins)."""
    blp = Blueprint("audit", __name__, url_prefix="/audit", description="Journal d'audit")

    @blp.route("")
    class Audit(MethodView):
        @blp.roles(*READERS)
        @blp.arguments(AuditQuerySchema, location="query")
        @blp.response(200, AuditEntrySchema(many=True))
        @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
        def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
            """Who wrote what, when, and the answer they got."""
            statement = select(table)
            if query.get("actor"):
                statement = statement.where(table.c.actor == query["actor"])
            with service_context().database.engine.connect() as connection:
                total = connection.scalar(select(func.count()).select_from(statement.subquery())) or 0
                rows = connection.execute(
                    statement.order_by(table.c.id.desc())
                    .offset(pagination_parameters.first_item)
                    .limit(pagination_parameters.page_size)
                ).mappings()
                page = [dict(row) for row in rows]
            pagination_parameters.item_count = total
            return page

    return blp
