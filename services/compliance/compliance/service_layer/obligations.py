"""Obligations: opened once per case, moved only by their state machine, fulfilled or waived by what
settles them, decided by an officer; each change published in the structure's standing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from cnum_shared.core import legal
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import Obligation
from compliance.domain.obligations import OBLIGATIONS, ObligationEvent, ObligationKind, ObligationStatus
from compliance.service_layer.commands import DecideObligation
from compliance.service_layer.errors import InvalidRecord, ObligationNotFound
from compliance.service_layer.standings import publish_standings
from compliance.service_layer.unit_of_work import UnitOfWork


def natural_key(
    kind: ObligationKind, subject: uuid.UUID, period: date | None = None, suffix: str | None = None
) -> str:
    """kind:subject[:period][:suffix]: one obligation per case, whatever the replays of its event."""
    return (
        f"{kind.value}:{subject}"
        + (f":{period.isoformat()}" if period else "")
        + (f":{suffix}" if suffix else "")
    )


def open_obligation(
    uow: UnitOfWork,
    kind: ObligationKind,
    *,
    subject: uuid.UUID,
    structure_id: uuid.UUID,
    convention_id: uuid.UUID,
    legal_date: date,
    actor: str,
    reason: str,
    contract_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    period: date | None = None,
    key_suffix: str | None = None,
    due: legal.DueDate | None = None,
) -> Obligation:
    """The obligation of this case, due by the parameter in force on its legal date (or on `due`, for a
    rule other than a plain delay); once per case."""
    key = natural_key(kind, subject, period, key_suffix)
    existing = uow.obligations.with_key(key)
    if existing is not None:
        return existing
    if due is None:
        deadline = legal.deadline(kind.value, legal_date, tree=uow.parameters)
        due = legal.DueDate(deadline.due_on(legal_date), deadline.reference)
    now = utcnow()
    obligation = Obligation(
        id=uuid.uuid4(),
        natural_key=key,
        kind=kind.value,
        structure_id=structure_id,
        convention_id=convention_id,
        contract_id=contract_id,
        candidate_id=candidate_id,
        period=period,
        due_on=due.due_on,
        source=due.reference,
        escalation_requests=0,
        created_at=now,
        updated_at=now,
    )
    uow.obligations.add(obligation)
    OBLIGATIONS.start(obligation, ObligationStatus.OPEN, actor=actor, reason=reason, at=now, log=uow.history)
    return obligation


def move(uow: UnitOfWork, obligation: Obligation, event: ObligationEvent, actor: str, reason: str) -> None:
    """The one way an obligation's status changes (refused as the transition table says)."""
    now = utcnow()
    OBLIGATIONS.apply(obligation, event, actor=actor, reason=reason, at=now, log=uow.history)
    obligation.updated_at = now


def settle(
    uow: UnitOfWork, pending: Iterable[Obligation], event: ObligationEvent, actor: str, reason: str
) -> list[Obligation]:
    """Fulfil or waive these pending obligations."""
    found = list(pending)
    for obligation in found:
        move(uow, obligation, event, actor, reason)
    return found


def get_obligation(uow: UnitOfWork, obligation_id: uuid.UUID) -> Obligation:
    obligation = uow.obligations.get(obligation_id)
    if obligation is None:
        raise ObligationNotFound()
    return obligation


def decide_obligation(uow: UnitOfWork, command: DecideObligation) -> Obligation:
    """A compliance officer fulfils, waives, extends or escalates an obligation, with a reason kept in its
    history."""
    obligation = get_obligation(uow, command.obligation_id)
    reason = command.reason
    if command.event is ObligationEvent.ESCALATE:
        # The next digest copies the compliance officer for this request (alerts.create_digests).
        reason = f"escalade au chargé de conformité : {reason}"
        obligation.escalation_requests += 1
    if command.event is ObligationEvent.EXTEND:
        due_on = command.due_on
        if due_on is None or due_on <= obligation.due_on:
            raise InvalidRecord({"due_on": ["La nouvelle échéance doit être postérieure à l'actuelle."]})
        reason = f"échéance reportée du {obligation.due_on.isoformat()} au {due_on.isoformat()} : {reason}"
        obligation.due_on = due_on
    move(uow, obligation, command.event, command.by, reason)
    publish_standings(uow, command.today, [obligation.structure_id])
    uow.commit()
    return obligation
