"""The tranche's state machine: DESIGN §4's table, and the 409 each refused change answers with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cnum_shared.core.state_machine import TransitionList
from payments.domain.payments import (
    PAYMENT_RUNS,
    PAYMENTS,
    RUN_LINES,
    PaymentRunEvent,
    PaymentRunStatus,
    PaymentStatus,
    RunLineEvent,
    RunLineStatus,
)
from payments.domain.tranches import TRANCHES, TrancheConflict, TrancheEvent, TrancheStatus

S, E = TrancheStatus, TrancheEvent
next_status = TRANCHES.next

ALLOWED = {
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
LABELS = {
    S.SCHEDULED: "programmée",
    S.DUE: "échue",
    S.APPROVED: "approuvée",
    S.PAID: "payée",
    S.BLOCKED: "bloquée",
    S.CANCELLED: "annulée",
}


@pytest.mark.parametrize(("state", "event"), sorted(ALLOWED))
def test_each_allowed_change_leads_where_the_table_says(state, event):
    assert next_status(state, event) is ALLOWED[(state, event)]


def refusal(state, event):
    """What DESIGN §4's API answers for a change the table refuses."""
    if (state, event) == (S.SCHEDULED, E.APPROVE):
        return "not_due", "La tranche n'est pas encore échue."
    if (state, event) == (S.PAID, E.PAY):
        return "already_paid", "La tranche est déjà payée."
    if event is E.PAY:
        return "not_approved", f"La tranche est {LABELS[state]} : elle doit être approuvée."
    return "invalid_transition", f"Action impossible sur une tranche {LABELS[state]}."


REFUSED = sorted((state, event) for state in S for event in E if (state, event) not in ALLOWED)


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_every_other_change_is_a_409_with_its_code_and_message(state, event):
    with pytest.raises(TrancheConflict) as refused:
        next_status(state, event)

    code, message = refusal(state, event)
    assert (refused.value.status, refused.value.code, refused.value.message) == (409, code, message)
    assert refused.value.errors == {"reasons": [{"code": code, "message": message}]}


class Thing:
    def __init__(self, status):
        self.id = uuid.uuid4()
        self.status = status


def test_a_change_is_logged_with_who_why_and_when():
    log, tranche, at = TransitionList(), Thing(S.DUE), datetime(2025, 1, 2, tzinfo=UTC)

    TRANCHES.apply(tranche, E.APPROVE, actor="alice", reason="ok", at=at, log=log)

    assert tranche.status is S.APPROVED
    [change] = log.transitions
    assert (change.machine, change.from_status, change.to_status, change.event, change.actor, change.at) == (
        "tranche",
        "due",
        "approved",
        "approve",
        "alice",
        at,
    )


def test_a_payment_is_returned_never_deleted_and_only_once():
    log, payment = TransitionList(), Thing(PaymentStatus.PAID)
    at = datetime(2025, 1, 2, tzinfo=UTC)

    PAYMENTS.apply(payment, "return", actor="chloe", reason="AC04", at=at, log=log)

    assert payment.status is PaymentStatus.RETURNED
    assert not PAYMENTS.allows(PaymentStatus.RETURNED, "return")


def test_runs_and_their_lines_move_forward_only():
    assert PAYMENT_RUNS.allows(PaymentRunStatus.DRAFT, PaymentRunEvent.EXPORT)
    assert PAYMENT_RUNS.allows(PaymentRunStatus.EXPORTED, PaymentRunEvent.CANCEL)
    assert not PAYMENT_RUNS.allows(PaymentRunStatus.CONFIRMED, PaymentRunEvent.CANCEL)
    assert not PAYMENT_RUNS.allows(PaymentRunStatus.DRAFT, PaymentRunEvent.CONFIRM)
    assert RUN_LINES.next(RunLineStatus.INCLUDED, RunLineEvent.PAY) is RunLineStatus.PAID
    assert RUN_LINES.next(RunLineStatus.PAID, RunLineEvent.REJECT) is RunLineStatus.REJECTED
    # A line not yet paid is rejected only when the bank refuses the whole file of its exported run
    # (decision 0027); a rejected line is never paid nor rejected again.
    assert RUN_LINES.next(RunLineStatus.INCLUDED, RunLineEvent.REJECT) is RunLineStatus.REJECTED
    assert not RUN_LINES.allows(RunLineStatus.REJECTED, RunLineEvent.PAY)
    assert not RUN_LINES.allows(RunLineStatus.REJECTED, RunLineEvent.REJECT)
