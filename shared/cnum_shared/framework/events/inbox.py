"""Consuming an event, out of any web framework: the inbox's record and the dispatch to its handler.

`POST /api/v1/events` (events/api.py) checks who sent the event and parses it, then calls `receive`; the
handlers are plain functions `(uow, event)` of each service's service layer that call its use cases, and
never import Flask. The event, its effects and its inbox row commit together, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cnum_shared.core.errors import ConcurrentWrite
from cnum_shared.core.wire import Envelope
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.events.tables import EventTables

#: What a service does with an event it consumes: apply it inside the unit of work, without committing.
EventHandler = Callable[[Any, Envelope], None]
Receipt = Literal["processed", "ignored", "duplicate"]


class EventRejected(Exception):
    """The event can never be processed (the producer sets it aside as dead, answer 422)."""


class Inbox:
    """The ids of the events a service has consumed, as a unit of work holds them (`uow.inbox`)."""

    def __init__(self, session: Session, tables: EventTables) -> None:
        self._session = session
        self._tables = tables

    def has(self, event_id: uuid.UUID) -> bool:
        inbox = self._tables.inbox
        return (
            self._session.execute(select(inbox.c.event_id).where(inbox.c.event_id == event_id)).first()
            is not None
        )

    def record(self, event: Envelope, status: str) -> None:
        self._session.execute(
            insert(self._tables.inbox).values(
                event_id=event.id,
                type=event.type,
                producer=event.producer,
                status=status,
                received_at=utcnow(),
            )
        )


def receive(
    new_unit_of_work: Callable[[], UnitOfWork],
    tables: EventTables,
    handlers: Mapping[str, EventHandler],
    event: Envelope,
) -> Receipt:
    """Apply `event` once: a known id is a duplicate, a type without handler is recorded as ignored.

    EventRejected from a handler propagates (nothing is recorded, the caller answers 422).
    """
    with new_unit_of_work() as uow:
        inbox = Inbox(uow.session, tables)
        if inbox.has(event.id):
            return "duplicate"
        handler = handlers.get(event.type)
        status: Receipt = "ignored" if handler is None else "processed"
        if handler is not None:
            handler(uow, event)
        inbox.record(event, status)
        try:
            uow.commit()
        except ConcurrentWrite:
            # The same event, delivered twice at once: the other delivery committed first.
            return "duplicate"
    return status
