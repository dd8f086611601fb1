"""Payments, payment runs and their lines: their states and the one table of allowed changes of each.

A payment is never deleted: a line the bank returns moves its payment to `returned` (the history says
who and why) and its tranche back to `approved`, to be paid again. Whatever counts what was paid (the
"already paid" rule, the balance, the clawback) counts only the payments still `paid`.
"""

from __future__ import annotations

from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine
from payments.domain.tranches import TrancheConflict


class PaymentStatus(StrEnum):
    PAID = "paid"
    #: The bank returned the transfer (a rejected line of a payment run): the tranche is to pay again.
    RETURNED = "returned"


class PaymentEvent(StrEnum):
    RETURN = "return"


PAYMENTS: StateMachine[PaymentStatus, PaymentEvent] = StateMachine(
    "payment",
    PaymentStatus,
    PaymentEvent,
    {(PaymentStatus.PAID, PaymentEvent.RETURN): PaymentStatus.RETURNED},
    labels={PaymentStatus.PAID: "payé", PaymentStatus.RETURNED: "retourné"},
)


class PaymentRunStatus(StrEnum):
    DRAFT = "draft"
    EXPORTED = "exported"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class PaymentRunEvent(StrEnum):
    EXPORT = "export"
    CONFIRM = "confirm"
    CANCEL = "cancel"


#: Runs whose tranches may not go into another run, nor be paid one by one.
OPEN_RUNS = frozenset({PaymentRunStatus.DRAFT, PaymentRunStatus.EXPORTED})


def _run_refusal(current: PaymentRunStatus, event: PaymentRunEvent) -> TrancheConflict:
    if event is PaymentRunEvent.CONFIRM:
        return TrancheConflict("run_not_exported", "Seul un ordre de virement exporté peut être confirmé.")
    if event is PaymentRunEvent.CANCEL:
        return TrancheConflict(
            "run_closed", "Seul un ordre de virement en préparation ou exporté peut être annulé."
        )
    return TrancheConflict("run_closed", "Cet ordre de virement est annulé.")


PAYMENT_RUNS: StateMachine[PaymentRunStatus, PaymentRunEvent] = StateMachine(
    "payment_run",
    PaymentRunStatus,
    PaymentRunEvent,
    {
        (PaymentRunStatus.DRAFT, PaymentRunEvent.EXPORT): PaymentRunStatus.EXPORTED,
        (PaymentRunStatus.EXPORTED, PaymentRunEvent.CONFIRM): PaymentRunStatus.CONFIRMED,
        (PaymentRunStatus.DRAFT, PaymentRunEvent.CANCEL): PaymentRunStatus.CANCELLED,
        (PaymentRunStatus.EXPORTED, PaymentRunEvent.CANCEL): PaymentRunStatus.CANCELLED,
    },
    labels={
        PaymentRunStatus.DRAFT: "en préparation",
        PaymentRunStatus.EXPORTED: "exporté",
        PaymentRunStatus.CONFIRMED: "confirmé",
        PaymentRunStatus.CANCELLED: "annulé",
    },
    refusal=_run_refusal,
)


class RunLineStatus(StrEnum):
    INCLUDED = "included"
    PAID = "paid"
    REJECTED = "rejected"


class RunLineEvent(StrEnum):
    PAY = "pay"
    REJECT = "reject"


RUN_LINES: StateMachine[RunLineStatus, RunLineEvent] = StateMachine(
    "payment_run_line",
    RunLineStatus,
    RunLineEvent,
    {
        (RunLineStatus.INCLUDED, RunLineEvent.PAY): RunLineStatus.PAID,
        (RunLineStatus.PAID, RunLineEvent.REJECT): RunLineStatus.REJECTED,
        # The bank refused the whole file of an exported run (a pain.002 rejecting its group): nothing
        # was paid, the line is rejected and the run cancelled (decision 0027).
        (RunLineStatus.INCLUDED, RunLineEvent.REJECT): RunLineStatus.REJECTED,
    },
    labels={
        RunLineStatus.INCLUDED: "incluse",
        RunLineStatus.PAID: "payée",
        RunLineStatus.REJECTED: "rejetée",
    },
)
