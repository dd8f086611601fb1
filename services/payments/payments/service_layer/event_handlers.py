"""How the payments service reacts to the events of the other services (each in the inbox's transaction)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from cnum_shared.events.api import EventHandler
from cnum_shared.events.schemas import Envelope
from payments.adapters.orm import StructureCopy

_COPIED = ("name", "siret", "kind", "department", "qpv_zrr", "email", "iban", "bic")


def record_structure(session: Session, event: Envelope) -> None:
    """Keep the local copy of a structure; an event older than the copy changes nothing."""
    data = event.data
    copy = session.get(StructureCopy, data["structure_id"])
    if copy is None:
        copy = StructureCopy(structure_id=data["structure_id"])
        session.add(copy)
    elif copy.last_event_at >= event.occurred_at:
        return
    for field in _COPIED:
        setattr(copy, field, data[field])
    copy.last_event_at = event.occurred_at


EVENT_HANDLERS: Mapping[str, EventHandler] = {"structure.updated": record_structure}
