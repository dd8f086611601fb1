"""Read models for the views: through a read-only unit of work's repositories, never a session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from cnum_shared.core.exports import every_row
from compliance.adapters.orm import (
    Alert,
    ContractCopy,
    Evidence,
    FinalStatement,
    Obligation,
    ObligationHistory,
    RecoveryOrder,
    TrainingExemption,
)
from compliance.domain.alerts import ALERT_KIND_LABELS
from compliance.domain.obligations import LABELS, ObligationKind
from compliance.service_layer.errors import (
    ContractNotFound,
    ExemptionNotFound,
    ObligationNotFound,
    StructureNotFound,
)
from compliance.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Page:
    total: int
    items: list[Any]


def obligations(
    uow: UnitOfWork,
    *,
    structure_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
    due_before: date | None = None,
    offset: int,
    limit: int,
) -> Page:
    """Obligations, overdue first then by due date."""
    total, items = uow.obligations.page(
        structure_id=structure_id, status=status, kind=kind, due_before=due_before, offset=offset, limit=limit
    )
    return Page(total, items)


def export_obligations(
    uow: UnitOfWork,
    *,
    structure_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
    due_before: date | None = None,
) -> list[Any]:
    """Every obligation the filters match, for an export (422 past `MAX_EXPORT_ROWS`)."""

    def page(offset: int, limit: int) -> tuple[list[Any], int]:
        found = obligations(
            uow,
            structure_id=structure_id,
            status=status,
            kind=kind,
            due_before=due_before,
            offset=offset,
            limit=limit,
        )
        return found.items, found.total

    return list(every_row(page))


def obligation(uow: UnitOfWork, obligation_id: uuid.UUID) -> Obligation:
    found = uow.obligations.get(obligation_id)
    if found is None:
        raise ObligationNotFound()
    return found


def history(uow: UnitOfWork, obligation_id: uuid.UUID) -> list[ObligationHistory]:
    return uow.obligations.history(obligation_id)


def evidence(uow: UnitOfWork, obligation_id: uuid.UUID) -> list[Evidence]:
    """Every revision of the evidence, the newest first."""
    return uow.evidence.of_obligation(obligation_id)


def contract(uow: UnitOfWork, contract_id: uuid.UUID) -> ContractCopy:
    found = uow.contracts.get(contract_id)
    if found is None:
        raise ContractNotFound()
    return found


def exemption(uow: UnitOfWork, contract_id: uuid.UUID) -> TrainingExemption:
    found = uow.exemptions.of_contract(contract_id)
    if found is None:
        raise ExemptionNotFound()
    return found


def standing(uow: UnitOfWork, structure_id: uuid.UUID, today: date) -> dict[str, Any]:
    """Blocking while an obligation is overdue (404 for a structure compliance never heard of)."""
    if uow.standings.get(structure_id) is None:
        raise StructureNotFound()
    overdue = uow.obligations.overdue_of(structure_id)
    return {
        "structure_id": structure_id,
        "blocking": bool(overdue),
        "overdue": [{"obligation_id": o.id, "kind": o.kind, "due_on": o.due_on} for o in overdue],
        "as_of": today,
    }


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    items: list[dict[str, Any]]
    #: The recovery an order tells about (None for another kind).
    order: RecoveryOrder | None = None
    #: The final statement a closing's e-mail tells about (None for another kind).
    statement: FinalStatement | None = None

    @property
    def kind_label(self) -> str:
        return ALERT_KIND_LABELS[self.alert.kind]


def alerts(uow: UnitOfWork, *, structure_id: uuid.UUID | None, offset: int, limit: int) -> Page:
    """The alerts sent (or waiting for SMTP), the latest first: each digest with its items, each recovery
    order with its recovery, each final statement with its figures."""
    total, found = uow.alerts.page(structure_id, offset, limit)
    ids = [alert.id for alert in found]
    by_alert: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for alert_id, obligation_id, step, officer_request in uow.alerts.items_of(ids):
        by_alert.setdefault(alert_id, []).append(
            {"obligation_id": obligation_id, "step": step, "officer_request": officer_request}
        )
    orders, statements = uow.alerts.orders_of(ids), uow.alerts.statements_of(ids)
    views = [
        AlertView(alert, by_alert.get(alert.id, []), orders.get(alert.id), statements.get(alert.id))
        for alert in found
    ]
    return Page(total, views)


def export_alerts(uow: UnitOfWork, *, structure_id: uuid.UUID | None) -> list[AlertView]:
    """Every alert (a structure's own when given), for an export (422 past `MAX_EXPORT_ROWS`)."""

    def page(offset: int, limit: int) -> tuple[list[Any], int]:
        found = alerts(uow, structure_id=structure_id, offset=offset, limit=limit)
        return found.items, found.total

    return list(every_row(page))


def overdue_obligations(uow: UnitOfWork) -> dict[str, Any]:
    """The overdue obligations by kind (every kind listed, in the order of a post's life; none: 0) and
    how many structures have one, counted in the database (the dashboard, decision 0043). Overdue as the
    last scan found them: the `scan` job moves an obligation to overdue the day after its due date."""
    counted = {
        kind: (count, structures) for kind, count, structures in uow.obligations.count_by_kind("overdue")
    }
    kinds = [
        {
            "kind": kind.value,
            "label": LABELS[kind],
            "obligations": counted.get(kind.value, (0, 0))[0],
            "structures": counted.get(kind.value, (0, 0))[1],
        }
        for kind in ObligationKind
    ]
    return {
        "overdue": {
            "total": {
                "obligations": sum(count for count, _ in counted.values()),
                "structures": uow.obligations.count_structures("overdue"),
            },
            "kinds": kinds,
        }
    }
