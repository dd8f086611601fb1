"""Recoveries: computed when a contract ends, provisional until the refill deadline, and the balance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cnum_shared.core import legal
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ContractCopy, ConventionCopy, Payment, Recovery, Tranche
from payments.domain.clawback import FundedPeriod, clawback

OWED_STATUSES = ("due", "blocked", "approved")


def paid_total(session: Session, convention_id: uuid.UUID) -> Decimal:
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Tranche, Tranche.id == Payment.tranche_id)
        .where(Tranche.convention_id == convention_id)
    ) or Decimal(0)


def regularised_back(session: Session, convention_id: uuid.UUID) -> Decimal:
    """What avenants' reductions already claim back of the payments (not to be claimed twice)."""
    return session.scalar(
        select(func.coalesce(func.sum(Recovery.amount), 0)).where(
            Recovery.convention_id == convention_id,
            Recovery.kind == "regularisation",
            Recovery.status.in_(("issued", "received", "offset")),
        )
    ) or Decimal(0)


def funded_periods(convention: ConventionCopy) -> list[FundedPeriod]:
    return [
        FundedPeriod(
            number=int(row["number"]),
            starts_on=date.fromisoformat(str(row["starts_on"])),
            ends_on=date.fromisoformat(str(row["ends_on"])),
            months=int(row["months"]),
            amount_per_post=Decimal(str(row["amount_per_post"])),
            monthly_rate=Decimal(str(row["monthly_rate"])),
        )
        for row in convention.funding_periods or []
    ]


def record_recovery(session: Session, contract: ContractCopy) -> Recovery | None:
    """What was paid for the post beyond the months it was occupied (article 6 of the convention);
    provisional until the refill deadline."""
    convention = session.get(ConventionCopy, contract.convention_id)
    if convention is None or contract.ended_on is None or convention.posts < 1:
        return None
    paid = paid_total(session, convention.convention_id) - regularised_back(session, convention.convention_id)
    outcome = clawback(
        convention_start=convention.start_date,
        periods=funded_periods(convention),
        occupied_from=contract.start_date,
        occupied_until=contract.ended_on,
        paid_per_post=paid / convention.posts,
    )
    deadline = legal.deadline("post_refill", contract.ended_on).due_on(contract.ended_on)
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=outcome.recoverable,
        months_started=outcome.months,
        status="provisional",
        refill_deadline=deadline,
        created_at=utcnow(),
        kind="post_ended",
        earned=outcome.earned,
        paid_per_post=outcome.paid_per_post,
        computation=[
            {
                "period": item.period,
                "months": item.months,
                "monthly_rate": str(item.monthly_rate),
                "earned": str(item.earned),
            }
            for item in outcome.periods
        ],
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
    recoveries: Sequence[Recovery]
    regularisations: Sequence[Tranche]


def balance(session: Session, convention: ConventionCopy) -> Balance:
    """Total, paid, due (tranches due, blocked or approved), recoverable, and each recovery and
    regularisation line with its computation (DESIGN §4)."""
    due = session.scalar(
        select(func.coalesce(func.sum(Tranche.amount), 0)).where(
            Tranche.convention_id == convention.convention_id, Tranche.status.in_(OWED_STATUSES)
        )
    )
    recoveries = session.scalars(
        select(Recovery)
        .where(Recovery.convention_id == convention.convention_id)
        .order_by(Recovery.created_at, Recovery.id)
    ).all()
    lines = session.scalars(
        select(Tranche)
        .where(Tranche.convention_id == convention.convention_id, Tranche.kind == "regularisation")
        .order_by(Tranche.number)
    ).all()
    return Balance(
        convention_id=convention.convention_id,
        total=convention.total_amount,
        paid=Decimal(paid_total(session, convention.convention_id)),
        due=Decimal(due or 0),
        recoverable=sum((r.amount for r in recoveries if r.status in ("provisional", "issued")), Decimal(0)),
        recoveries=recoveries,
        regularisations=lines,
    )
