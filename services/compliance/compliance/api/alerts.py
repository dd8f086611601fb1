"""The alerts over HTTP (digests, recovery orders, final statements): what was sent (or waits for SMTP) to
whom."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from cnum_shared.core.exports import Column, Kind
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.exports import EXPORT_DOC, ExportQuerySchema, export_response
from cnum_shared.framework.web import MAX_PAGE_SIZE, PAGE_SIZE, current_principal, service_context
from compliance.api.blueprint import blp, unit_of_work
from compliance.api.schemas import AlertSchema
from compliance.domain.alerts import ALERTS
from compliance.service_layer import queries


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters: Any) -> Any:
        """The alerts sent (or waiting for SMTP): digests with their items, recovery orders with their
        recovery, final statements with their figures; recipients and delivery status; a structure sees
        its own."""
        principal = current_principal()
        with unit_of_work(read_only=True) as uow:
            page = queries.alerts(
                uow,
                structure_id=principal.structure_id if principal.is_structure() else None,
                offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size,
            )
        pagination_parameters.item_count = page.total
        return [
            {
                **{
                    column: getattr(view.alert, column)
                    for column in AlertSchema().fields
                    if column not in _OF_THE_VIEW
                },
                "kind_label": view.kind_label,
                "items": view.items,
                "recovery": view.order,
                "final_statement": view.statement,
            }
            for view in page.items
        ]


#: The fields the view gives besides the alert's columns.
_OF_THE_VIEW = ("kind_label", "items", "recovery", "final_statement")


def _alert(attribute: str) -> Any:
    return lambda view: getattr(view.alert, attribute)


def _order(attribute: str) -> Any:
    return lambda view: getattr(view.order, attribute) if view.order is not None else None


def _convention_reference(view: Any) -> str | None:
    """The convention a recovery order or a final statement is about (none for a digest)."""
    about = view.order or view.statement
    return about.convention_reference if about is not None else None


ALERT_COLUMNS = (
    Column("Nature", lambda view: view.kind_label, width=24),
    Column("Structure", _alert("loaded_structure_name"), width=30),
    Column("Identifiant de la structure", _alert("structure_id"), width=38),
    Column("Date", _alert("digest_date"), Kind.DATE, width=12),
    Column("Objet", _alert("subject"), width=40),
    Column("Destinataires", _alert("recipients"), width=30),
    Column("Copie", _alert("cc"), width=30),
    Column("Nombre d'éléments", lambda view: len(view.items), Kind.INTEGER),
    Column("Statut", lambda view: ALERTS.label(view.alert.status), width=16),
    Column("Tentatives", _alert("attempts"), Kind.INTEGER),
    Column("Envoyé le", _alert("sent_at"), Kind.DATETIME, width=17),
    Column("Dernière erreur", _alert("last_error"), width=30),
    Column("Convention", _convention_reference, width=20),
    Column("Montant à reverser", _order("amount"), Kind.AMOUNT),
    Column(
        "Versement inscrit à la clôture",
        lambda view: view.statement.settlement_amount if view.statement is not None else None,
        Kind.AMOUNT,
    ),
    Column("À reverser avant le", _order("pay_by"), Kind.DATE, width=12),
    Column("Référence du virement", _order("payment_reference"), width=38),
    Column("Identifiant", _alert("id"), width=38),
)


@blp.route("/alerts/export")
class AlertsExport(MethodView):
    @blp.roles(Role.COMPLIANCE, Role.STRUCTURE, *READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, query: dict[str, Any]) -> Any:
        """Every alert, as a CSV or XLSX file (French headers); a structure exports its own."""
        principal = current_principal()
        with unit_of_work(read_only=True) as uow:
            rows = queries.export_alerts(
                uow, structure_id=principal.structure_id if principal.is_structure() else None
            )
        return export_response("alertes", ALERT_COLUMNS, rows, query["format"], service_context().today())
