"""Writing events: in the business transaction, never after it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cnum_shared.db import utcnow
from cnum_shared.events.schemas import EVENT_TYPES, consumers_of, dump_data
from cnum_shared.events.tables import EventTables


def emit(
    session: Session,
    tables: EventTables,
    *,
    producer: str,
    event_type: str,
    data: Mapping[str, Any],
    occurred_at: datetime | None = None,
) -> uuid.UUID:
    """Store an event and one pending delivery per consumer, in the caller's transaction.

    Nothing leaves the process here: the relay job delivers after commit, so a rolled-back change never
    emits, and a committed one is never lost.
    """
    now = utcnow()
    event_id = uuid.uuid4()
    session.execute(
        insert(tables.outbox).values(
            id=event_id,
            type=event_type,
            version=EVENT_TYPES[event_type].version,
            occurred_at=occurred_at or now,
            producer=producer,
            data=dump_data(event_type, data),
            created_at=now,
        )
    )
    consumers = consumers_of(event_type)
    if consumers:
        session.execute(
            insert(tables.deliveries),
            [{"event_id": event_id, "consumer": consumer, "next_attempt_at": now} for consumer in consumers],
        )
    return event_id
