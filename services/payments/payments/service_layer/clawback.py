"""Recoveries: computed when a contract ends, provisional until the refill deadline, and the balance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cnum_shared import legal
from cnum_shared.dates import months_started
from cnum_shared.db import utcnow
from payments.adapters.orm import ContractCopy, ConventionCopy, Payment, Recovery, Tranche
from payments.domain.clawback import recoverable

OWED_STATUSES = ("due", "blocked", "approved")


def paid_total(session: Session, convention_id: uuid.UUID) -> Decimal:
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Tranche, Tranche.id == Payment.tranche_id)
        .where(Tranche.convention_id == convention_id)
    ) or Decimal(0)


def record_recovery(session: Session, contract: ContractCopy) -> Recovery | None:
    """The amount paid for the post beyond the months it was filled; provisional until the refill deadline."""
    convention = session.get(ConventionCopy, contract.convention_id)
    if convention is None or contract.ended_on is None or convention.posts < 1:
        return None
    started = months_started(convention.start_date, contract.ended_on)
    amount = recoverable(
        paid_per_post=paid_total(session, convention.convention_id) / convention.posts,
        amount_per_post=convention.amount_per_post,
        months_started=started,
        funded_months=convention.funded_months,
    )
    deadline = legal.deadline("post_refill", contract.ended_on).due_on(contract.ended_on)
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=amount,
        months_started=started,
        status="provisional",
        refill_deadline=deadline,
        created_at=utcnow(),
    )
    session.add(recovery)
    return recovery


def cancel_on_refill(session: Session, contract: ContractCopy) -> int:
    """A post refilled before its deadline owes nothing back."""
    result = session.execute(
        update(Recovery)
        .where(
            Recovery.convention_id == contract.convention_id,
            Recovery.status == "provisional",
            Recovery.refill_deadline >= contract.start_date,
        )
        .values(status="cancelled")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Balance:
    convention_id: uuid.UUID
    total: Decimal
    paid: Decimal
    due: Decimal
    recoverable: Decimal


def balance(session: Session, convention: ConventionCopy) -> Balance:
    due = session.scalar(
        select(func.coalesce(func.sum(Tranche.amount), 0)).where(
            Tranche.convention_id == convention.convention_id, Tranche.status.in_(OWED_STATUSES)
        )
    )
    owed_back = session.scalar(
        select(func.coalesce(func.sum(Recovery.amount), 0)).where(
            Recovery.convention_id == convention.convention_id, Recovery.status.in_(("provisional", "issued"))
        )
    )
    return Balance(
        convention_id=convention.convention_id,
        total=convention.total_amount,
        paid=Decimal(paid_total(session, convention.convention_id)),
        due=Decimal(due or 0),
        recoverable=Decimal(owed_back or 0),
    )
