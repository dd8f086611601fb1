"""Moving a tranche from one state to the next: through the transition table, with a history row."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cnum_shared.framework.db import utcnow
from payments.adapters.orm import Tranche, TrancheHistory
from payments.domain.tranches import TrancheEvent, TrancheStatus, next_status


def move(session: Session, tranche: Tranche, event: TrancheEvent, actor: str, reason: str) -> None:
    """Apply `event` to the tranche (TrancheConflict when not allowed) and write who, why and when."""
    before = tranche.status
    tranche.status = next_status(TrancheStatus(before), event).value
    tranche.updated_at = utcnow()
    record(session, tranche.id, before, tranche.status, actor, reason)


def record(
    session: Session, tranche_id: uuid.UUID, before: str | None, after: str, actor: str, reason: str
) -> None:
    session.add(
        TrancheHistory(
            id=uuid.uuid4(),
            tranche_id=tranche_id,
            from_status=before,
            to_status=after,
            actor=actor,
            reason=reason,
            at=utcnow(),
        )
    )
