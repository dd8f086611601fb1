"""The standing each structure publishes for payments: blocking while an obligation is overdue."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import Standing
from compliance.service_layer.unit_of_work import UnitOfWork

STANDING_CHANGED = "structure.standing_changed"


def publish_standings(uow: UnitOfWork, as_of: date, structure_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Emit `structure.standing_changed` for each structure whose set of overdue obligations changed
    (or was never published); every structure when none is named (the daily scan)."""
    wanted = uow.structures.ids() if structure_ids is None else list(structure_ids)
    of = None if structure_ids is None else wanted
    by_structure: dict[uuid.UUID, list[Any]] = {structure_id: [] for structure_id in wanted}
    for row in uow.obligations.overdue(of):
        if row.structure_id in by_structure:
            by_structure[row.structure_id].append(row)
    standings = uow.standings.of(of)
    changes: list[dict[str, Any]] = []
    for structure_id, rows in by_structure.items():
        ids = sorted(str(row.id) for row in rows)
        standing = standings.get(structure_id)
        if standing is not None and standing.overdue_ids == ids:
            continue
        if standing is None:
            standing = Standing(structure_id=structure_id)
            uow.standings.add(standing)
        standing.blocking, standing.overdue_ids, standing.as_of, standing.published_at = (
            bool(ids),
            ids,
            as_of,
            utcnow(),
        )
        changes.append(
            {
                "structure_id": structure_id,
                "blocking": bool(ids),
                "overdue": [
                    {"obligation_id": row.id, "kind": row.kind, "due_on": row.due_on}
                    for row in sorted(rows, key=lambda row: (row.due_on, str(row.id)))
                ],
                "as_of": as_of,
            }
        )
    uow.outbox.emit_many(STANDING_CHANGED, changes)
    return len(changes)
