"""Writing events: in the business transaction, never after it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cnum_shared.core.wire import EVENT_TYPES, consumers_of, dump_many
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.events.tables import EventTables


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
    return emit_many(
        session, tables, producer=producer, event_type=event_type, items=[data], occurred_at=occurred_at
    )[0]


def emit_many(
    session: Session,
    tables: EventTables,
    *,
    producer: str,
    event_type: str,
    items: Sequence[Mapping[str, Any]],
    occurred_at: datetime | None = None,
) -> list[uuid.UUID]:
    """`emit` for many events of one type, in two statements whatever their number (the first scan of
    the programme publishes thousands of standings); the relay delivers them in this order."""
    if not items:
        return []
    now = utcnow()
    version = EVENT_TYPES[event_type].version
    stored: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "type": event_type,
            "version": version,
            "occurred_at": occurred_at or now,
            "producer": producer,
            "data": data,
            "created_at": now,
        }
        for data in dump_many(event_type, items)
    ]
    session.execute(insert(tables.outbox), stored)
    consumers = consumers_of(event_type)
    if consumers:
        session.execute(
            insert(tables.deliveries),
            [
                {"event_id": event["id"], "consumer": consumer, "next_attempt_at": now}
                for event in stored
                for consumer in consumers
            ],
        )
    return [cast(uuid.UUID, event["id"]) for event in stored]


class Outbox:
    """The outbox as a unit of work holds it: `uow.outbox.emit(type, data)` in the use case's transaction.

    The unit tests' fakes keep a list with the same two methods.
    """

    def __init__(self, session: Session, tables: EventTables, producer: str) -> None:
        self._session = session
        self._tables = tables
        self.producer = producer

    def emit(
        self, event_type: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> uuid.UUID:
        return emit(
            self._session,
            self._tables,
            producer=self.producer,
            event_type=event_type,
            data=data,
            occurred_at=occurred_at,
        )

    def emit_many(
        self, event_type: str, items: Sequence[Mapping[str, Any]], *, occurred_at: datetime | None = None
    ) -> list[uuid.UUID]:
        return emit_many(
            self._session,
            self._tables,
            producer=self.producer,
            event_type=event_type,
            items=items,
            occurred_at=occurred_at,
        )
