"""Tranches: their kinds, their states and the one table of allowed transitions.

Payments never computes a tranche's amount: the conventions service states the whole schedule at
signature and after each avenant, and payments applies it (service_layer/event_handlers.py).
"""

from __future__ import annotations

from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine, TransitionRefused


class TrancheStatus(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    APPROVED = "approved"
    PAID = "paid"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class ConventionStatus(StrEnum):
    """A convention as payments knows it, from its producer's events (a copy: no transition of its own)."""

    ACTIVE = "active"
    TERMINATED = "terminated"
    CLOSED = "closed"


class TrancheKind(StrEnum):
    #: One of the convention's tranches, at the amount the signed convention or avenant states.
    INSTALMENT = "instalment"
    #: A supplementary payable line: an avenant raised a tranche that was already approved or paid.
    REGULARISATION = "regularisation"
    #: The remainder of the final statement owed to the structure, booked when the convention is closed.
    FINAL_BALANCE = "final_balance"


KIND_LABELS = {
    TrancheKind.INSTALMENT: "tranche",
    TrancheKind.REGULARISATION: "complément (avenant)",
    TrancheKind.FINAL_BALANCE: "solde du décompte final",
}


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


class TrancheConflict(TransitionRefused):
    """Not allowed in the tranche's (or its payment run's) state: a 409 whose `errors.reasons` names the
    `code` and repeats the message."""


def _refusal(current: TrancheStatus, event: TrancheEvent) -> TrancheConflict:
    label = _LABELS[current]
    if event is E.APPROVE and current is S.SCHEDULED:
        return TrancheConflict("not_due", "La tranche n'est pas encore échue.")
    if event is E.PAY and current is S.PAID:
        return TrancheConflict("already_paid", "La tranche est déjà payée.")
    if event is E.PAY:
        return TrancheConflict("not_approved", f"La tranche est {label} : elle doit être approuvée.")
    return TrancheConflict("invalid_transition", f"Action impossible sur une tranche {label}.")


#: The tranche's state machine: its history is kept in `tranche_history` (the tranche's own table).
TRANCHES: StateMachine[TrancheStatus, TrancheEvent] = StateMachine(
    "tranche", TrancheStatus, TrancheEvent, TRANSITIONS, labels=_LABELS, refusal=_refusal
)
