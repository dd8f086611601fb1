"""The final statement of a convention (décompte final), and its settlement when the convention is closed.

The figures are domain/final_statement.py's (earnings by the clawback rule of domain/clawback.py); this
module reads them from the books and, on `convention.closed`, books what is left: a payable line
(`final_balance`, due on the closing date, approved and paid like any tranche) when the structure is owed
money, a recovery (`final_statement`, issued at once, with its computation) when it owes. Decision 0030.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core.money import format_eur_fr
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery, Tranche
from payments.domain.clawback import RECOVERABLE, RECOVERIES, RecoveryKind, RecoveryStatus
from payments.domain.final_statement import FinalStatement, Occupation, final_statement
from payments.domain.tranches import UNPAID, TrancheKind, TrancheStatus
from payments.service_layer import recoveries
from payments.service_layer.clawback import funded_periods
from payments.service_layer.tranches import add_payable_line
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

#: Recoveries whose money came back to the agency: they reduce what was paid.
RETURNED = frozenset({RecoveryStatus.RECEIVED, RecoveryStatus.OFFSET})


@dataclass(frozen=True)
class Settlement:
    """What closing booked: the payable line or the recovery."""

    kind: str
    id: uuid.UUID
    amount: Decimal
    status: str


def statement(uow: PaymentsUnitOfWork, convention: ConventionCopy, as_of: date) -> FinalStatement:
    """The convention's final statement as of `as_of`, from its contracts, payments and recoveries."""
    recoveries = uow.recoveries.of_convention(convention.convention_id)
    lines = uow.tranches.of_convention(convention.convention_id)
    in_payment = sum(
        (
            line.amount
            for line in lines
            if line.status == TrancheStatus.APPROVED
            or (line.kind == TrancheKind.FINAL_BALANCE and line.status in UNPAID)
        ),
        Decimal("0.00"),
    )
    occupations = [
        Occupation(contract.contract_id, contract.start_date, contract.ended_on or contract.end_date)
        for contract in uow.contracts.of_convention(convention.convention_id)
    ]
    return final_statement(
        convention_start=convention.start_date,
        convention_end=convention.end_date,
        posts=convention.posts,
        periods=funded_periods(convention),
        granted=convention.total_amount,
        paid_out=uow.payments.paid_total(convention.convention_id),
        received_back=sum((r.amount for r in recoveries if r.status in RETURNED), Decimal("0.00")),
        in_payment=in_payment,
        claimed=sum((r.amount for r in recoveries if r.status in RECOVERABLE), Decimal("0.00")),
        occupations=occupations,
        as_of=as_of,
    )


def settlements(uow: PaymentsUnitOfWork, convention_id: uuid.UUID) -> list[Settlement]:
    """The lines and recoveries closing booked for the convention (one at most)."""
    found = [
        Settlement("payment", line.id, line.amount, line.status.value)
        for line in uow.tranches.of_convention(convention_id)
        if line.kind == TrancheKind.FINAL_BALANCE
    ]
    found += [
        Settlement("recovery", recovery.id, recovery.amount, recovery.status.value)
        for recovery in uow.recoveries.of_convention(convention_id)
        if recovery.kind == RecoveryKind.FINAL_STATEMENT
    ]
    return found


def settle(uow: PaymentsUnitOfWork, convention: ConventionCopy, on: date, actor: str) -> Settlement | None:
    """Book what the final statement as of the closing date leaves to settle (after the unpaid tranches
    were cancelled), and publish the statement and its settlement (`final_statement.settled`, even when
    nothing is left). Once per convention: nothing when it was settled already."""
    if convention.settled_on is not None or settlements(uow, convention.convention_id):
        return None
    figures = statement(uow, convention, on)
    settlement: Settlement | None = None
    if figures.to_settle > 0:
        line = _final_line(uow, convention, figures, on, actor)
        settlement = Settlement("payment", line.id, line.amount, line.status.value)
    elif figures.to_settle < 0:
        recovery = _final_recovery(uow, convention, figures, on, actor)
        settlement = Settlement("recovery", recovery.id, recovery.amount, recovery.status.value)
    convention.settled_on = on
    uow.outbox.emit("final_statement.settled", settled_data(uow, convention, on, figures, settlement))
    return settlement


def settled_data(
    uow: PaymentsUnitOfWork,
    convention: ConventionCopy,
    closed_on: date,
    figures: FinalStatement,
    settlement: Settlement | None,
) -> dict[str, Any]:
    """`final_statement.settled`: the statement as of the closing date, as computed before closing booked
    what it left (its `to_settle` is what the settlement books), per post and contract."""
    return {
        "convention_id": convention.convention_id,
        "structure_id": convention.structure_id,
        "convention_reference": convention.reference,
        "closed_on": closed_on,
        "as_of": figures.as_of,
        "granted": figures.granted,
        "earned": figures.earned,
        "paid": figures.paid,
        "balance": figures.balance,
        "to_pay": figures.to_pay,
        "to_recover": figures.to_recover,
        "in_payment": figures.in_payment,
        "claimed": figures.claimed,
        "to_settle": figures.to_settle,
        "posts": [
            {
                "post": post.post,
                "months": post.months,
                "earned": post.earned,
                "contracts": [
                    {
                        "contract_id": contract.contract_id,
                        "occupied_from": contract.occupied_from,
                        "occupied_until": contract.occupied_until,
                        "months": contract.months,
                        "earned": contract.earned,
                    }
                    for contract in post.contracts
                ],
            }
            for post in figures.posts
        ],
        "settlement": (
            None
            if settlement is None
            else {"kind": settlement.kind, "id": settlement.id, "amount": settlement.amount}
        ),
        "structure": recoveries.structure_details(uow, convention.structure_id),
    }


def _final_line(
    uow: PaymentsUnitOfWork, convention: ConventionCopy, figures: FinalStatement, on: date, actor: str
) -> Tranche:
    """The remainder owed to the structure: a payable line due on the closing date (`mark_due` moves it)."""
    lines = uow.tranches.of_convention(convention.convention_id)
    return add_payable_line(
        uow,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        number=max((item.number for item in lines), default=0) + 1,
        amount=figures.to_settle,
        due_on=on,
        kind=TrancheKind.FINAL_BALANCE,
        regularises=None,
        amendment_number=None,
        actor=actor,
        reason=f"décompte final au {on.isoformat()} : reste à payer {format_eur_fr(figures.to_settle)}",
    )


def _final_recovery(
    uow: PaymentsUnitOfWork, convention: ConventionCopy, figures: FinalStatement, on: date, actor: str
) -> Recovery:
    """What the structure owes back: a recovery issued on the closing date, with its computation."""
    now = utcnow()
    amount = -figures.to_settle
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=None,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=amount,
        months_started=sum(post.months for post in figures.posts),
        refill_deadline=on,
        created_at=now,
        kind=RecoveryKind.FINAL_STATEMENT,
        tranche_number=None,
        amendment_number=None,
        earned=figures.earned,
        paid_per_post=None,
        computation={
            "as_of": figures.as_of.isoformat(),
            "granted": str(figures.granted),
            "earned": str(figures.earned),
            "paid": str(figures.paid),
            "balance": str(figures.balance),
            "in_payment": str(figures.in_payment),
            "claimed": str(figures.claimed),
            "to_settle": str(figures.to_settle),
        },
    )
    RECOVERIES.start(
        recovery,
        RecoveryStatus.ISSUED,
        actor=actor,
        reason=f"décompte final au {on.isoformat()} : {format_eur_fr(amount)} à reverser",
        at=now,
        log=uow.history,
    )
    uow.recoveries.add(recovery)
    # Due from the closing date: its order counts the repayment delay from that day.
    recoveries.announce_issued(uow, recovery, convention, on)
    return recovery
