"""Recoveries: computed when a contract ends, provisional until the refill deadline, cancelled by a
refill in time."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cnum_shared.core import legal
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ContractCopy, ConventionCopy, Recovery
from payments.domain.clawback import (
    CLAIMED_RECOVERIES,
    RECOVERIES,
    FundedPeriod,
    RecoveryEvent,
    RecoveryKind,
    RecoveryStatus,
    clawback,
)
from payments.domain.errors import RecoveryNotIssued
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


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


def record_recovery(uow: PaymentsUnitOfWork, contract: ContractCopy, actor: str) -> Recovery | None:
    """What was paid for the post beyond the months it was occupied (article 6 of the convention);
    provisional until the refill deadline."""
    convention = uow.conventions.get(contract.convention_id)
    if convention is None or contract.ended_on is None or convention.posts < 1:
        return None
    paid = uow.payments.paid_total(convention.convention_id) - uow.recoveries.regularised_total(
        convention.convention_id, CLAIMED_RECOVERIES
    )
    outcome = clawback(
        convention_start=convention.start_date,
        periods=funded_periods(convention),
        occupied_from=contract.start_date,
        occupied_until=contract.ended_on,
        paid_per_post=paid / convention.posts,
    )
    deadline = legal.deadline("post_refill", contract.ended_on, tree=uow.parameters).due_on(contract.ended_on)
    now = utcnow()
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=outcome.recoverable,
        months_started=outcome.months,
        refill_deadline=deadline,
        created_at=now,
        kind=RecoveryKind.POST_ENDED,
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
    RECOVERIES.start(
        recovery,
        RecoveryStatus.PROVISIONAL,
        actor=actor,
        reason=f"poste terminé le {contract.ended_on.isoformat()}",
        at=now,
        log=uow.history,
    )
    uow.recoveries.add(recovery)
    return recovery


def cancel_on_refill(uow: PaymentsUnitOfWork, contract: ContractCopy, actor: str) -> int:
    """A post refilled before its deadline owes nothing back."""
    recoveries = uow.recoveries.provisional_refilled_by(contract.convention_id, contract.start_date)
    now = utcnow()
    for recovery in recoveries:
        RECOVERIES.apply(
            recovery,
            RecoveryEvent.CANCEL_ON_REFILL,
            actor=actor,
            reason=f"poste pourvu le {contract.start_date.isoformat()}",
            at=now,
            log=uow.history,
        )
    return len(recoveries)


def receive_recovery(uow: PaymentsUnitOfWork, recovery: Recovery, on: date, actor: str, reason: str) -> None:
    """The structure's repayment arrived on `on`: the issued recovery (locked by the caller) becomes
    `received`, its history row saying « reçu le <on> (<reason>) »; nothing committed. The one way a
    recovery is received: a bank statement's import, an officer resolving a statement line, an officer
    recording it by hand. Any other status is a 409 (RecoveryNotIssued)."""
    if recovery.status != RecoveryStatus.ISSUED:
        raise RecoveryNotIssued(RECOVERIES.label(recovery.status))
    RECOVERIES.apply(
        recovery,
        RecoveryEvent.RECEIVE,
        actor=actor,
        reason=f"reçu le {on.isoformat()} ({reason})",
        at=utcnow(),
        log=uow.history,
    )
