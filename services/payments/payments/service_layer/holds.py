"""Holds: payments suspended by an admin, programme-wide or for one structure (the 2025 freeze)."""

from __future__ import annotations

import uuid

from cnum_shared.framework.db import utcnow
from payments.adapters.orm import Hold
from payments.domain.errors import HoldNotFound
from payments.service_layer.commands import PlaceHold, ReleaseHold
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def place_hold(uow: PaymentsUnitOfWork, command: PlaceHold) -> Hold:
    hold = Hold(
        id=uuid.uuid4(),
        structure_id=command.structure_id,
        reason=command.reason,
        created_by=command.by,
        created_at=utcnow(),
        released_by=None,
        released_at=None,
    )
    uow.holds.add(hold)
    uow.commit()
    return hold


def release_hold(uow: PaymentsUnitOfWork, command: ReleaseHold) -> Hold:
    hold = uow.holds.get(command.hold_id)
    if hold is None or hold.released_at is not None:
        raise HoldNotFound()
    hold.released_at, hold.released_by = utcnow(), command.by
    uow.commit()
    return hold
