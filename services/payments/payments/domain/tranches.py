"""Tranches: their states, the one table of allowed transitions, and how an avenant reshapes them.

Pure rules: amounts are Decimal quantized to the cent, dates come in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.money import quantize_cents


class TrancheStatus(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    APPROVED = "approved"
    PAID = "paid"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class TrancheEvent(StrEnum):
    """What happens to a tranche: each is a row of TRANSITIONS."""

    FALL_DUE = "fall_due"
    APPROVE = "approve"
    REFUSE = "refuse"
    PAY = "pay"
    CANCEL = "cancel"
    RETURN = "return"  # a payment-run line rejected by the bank: back to approved


S, E = TrancheStatus, TrancheEvent

#: DESIGN §4, the only place that says which change is allowed.
TRANSITIONS: dict[tuple[TrancheStatus, TrancheEvent], TrancheStatus] = {
    (S.SCHEDULED, E.FALL_DUE): S.DUE,
    (S.DUE, E.APPROVE): S.APPROVED,
    (S.BLOCKED, E.APPROVE): S.APPROVED,
    (S.DUE, E.REFUSE): S.BLOCKED,
    (S.BLOCKED, E.REFUSE): S.BLOCKED,
    (S.APPROVED, E.PAY): S.PAID,
    (S.SCHEDULED, E.CANCEL): S.CANCELLED,
    (S.DUE, E.CANCEL): S.CANCELLED,
    (S.BLOCKED, E.CANCEL): S.CANCELLED,
    (S.PAID, E.RETURN): S.APPROVED,
}

#: Tranches still to pay: an avenant may reshape them, a termination cancels them.
UNPAID = frozenset({S.SCHEDULED, S.DUE, S.BLOCKED})

_LABELS = {
    S.SCHEDULED: "programmée",
    S.DUE: "échue",
    S.APPROVED: "approuvée",
    S.PAID: "payée",
    S.BLOCKED: "bloquée",
    S.CANCELLED: "annulée",
}


class TrancheConflict(Exception):
    """The change is not allowed from the tranche's state (a 409); `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def next_status(current: TrancheStatus, event: TrancheEvent) -> TrancheStatus:
    try:
        return TRANSITIONS[(TrancheStatus(current), event)]
    except KeyError:
        label = _LABELS[TrancheStatus(current)]
        if event is E.APPROVE and current is S.SCHEDULED:
            raise TrancheConflict("not_due", "La tranche n'est pas encore échue.") from None
        if event is E.PAY and current is S.PAID:
            raise TrancheConflict("already_paid", "La tranche est déjà payée.") from None
        if event is E.PAY:
            raise TrancheConflict(
                "not_approved", f"La tranche est {label} : elle doit être approuvée."
            ) from None
        raise TrancheConflict("invalid_transition", f"Action impossible sur une tranche {label}.") from None


@dataclass(frozen=True)
class PlannedTranche:
    number: int
    due_on: date
    amount: Decimal


def reshape(
    unpaid: list[tuple[int, Decimal]], paid_total: Decimal, approved_total: Decimal, new_total: Decimal
) -> dict[int, Decimal]:
    """New amounts of the unpaid tranches so that everything adds up to `new_total` (DESIGN §4).

    The difference is spread over the unpaid tranches in proportion to their amounts, each rounded to
    the cent, the last taking the remainder. Tranches already approved or paid keep their amount. A
    reduction larger than what remains unpaid cannot be spread: it becomes a recovery, not a negative
    tranche (ValueError).
    """
    if not unpaid:
        return {}
    remaining = new_total - paid_total - approved_total
    if remaining < 0:
        raise ValueError(f"the new total {new_total} is below what is already approved or paid")
    current = sum((amount for _, amount in unpaid), Decimal(0))
    shares: dict[int, Decimal] = {}
    spread = Decimal(0)
    for index, (number, amount) in enumerate(unpaid):
        if index == len(unpaid) - 1:
            share = remaining - spread
        elif current:
            share = quantize_cents(remaining * amount / current)
        else:
            share = quantize_cents(remaining / len(unpaid))
        spread += share
        shares[number] = share
    return shares
