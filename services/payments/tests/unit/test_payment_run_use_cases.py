"""Payment runs on the fake unit of work: built from approved tranches, exported once, confirmed by a
second officer, and a rejected line recorded as a returned payment, never deleted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from payments.domain.errors import FourEyes, RunRefused
from payments.domain.payments import PaymentRunStatus, PaymentStatus, RunLineStatus
from payments.domain.tranches import TrancheConflict, TrancheStatus
from payments.service_layer import payment_runs, queries, tranches
from payments.service_layer.commands import (
    ApproveTranche,
    CancelPaymentRun,
    ConfirmPaymentRun,
    CreatePaymentRun,
    ExportPaymentRun,
    MarkDue,
    PayTranche,
    RejectLines,
)
from services.payments.tests.unit.fakes import a_clean_standing, a_convention, a_structure

TODAY = date(2025, 1, 10)
NOW = datetime(2025, 1, 10, 9, tzinfo=UTC)


@pytest.fixture
def approved(uow):
    """The first tranches of two conventions, approved by Alice."""
    approved = []
    for amount in ("10000.00", "12500.50"):
        structure = a_structure(uow)
        a_clean_standing(uow, structure)
        _, schedule = a_convention(uow, structure, (amount, "5000.00"))
        approved.append(schedule[0])
    tranches.mark_due(uow, MarkDue(TODAY))
    for tranche in approved:
        tranches.approve_tranche(uow, ApproveTranche(tranche.id, "alice", TODAY))
    return approved


def create(uow, tranche_ids=None, by="bruno", key=None):
    return payment_runs.create_run(uow, CreatePaymentRun(tranche_ids, date(2025, 1, 15), by, TODAY, key))


def exported(uow):
    run = create(uow)
    payment_runs.export_run(uow, ExportPaymentRun(run.id, NOW, "bruno"))
    return run


def confirmed(uow, by="chloe"):
    run = exported(uow)
    return payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, by, date(2025, 1, 16)))


def test_a_draft_run_gathers_the_approved_tranches(uow, approved):
    run = create(uow)

    assert run.status == PaymentRunStatus.DRAFT
    assert run.number_of_transactions == 2
    assert run.control_sum == Decimal("10000.00") + Decimal("12500.50")
    lines = uow.payment_runs.lines(run.id)
    assert {line.tranche_id for line in lines} == {t.id for t in approved}
    assert {line.status for line in lines} == {RunLineStatus.INCLUDED}
    assert [(t.machine, t.to_status) for t in uow.history.of(run.id)] == [("payment_run", "draft")]
    # Its tranches are no longer in reach of a payment one by one.
    with pytest.raises(TrancheConflict) as held:
        tranches.pay_tranche(uow, PayTranche(approved[0].id, "bruno", TODAY, "VIR", TODAY))
    assert held.value.code == "in_payment_run"


def test_a_run_without_approved_tranches_is_refused(uow):
    with pytest.raises(RunRefused) as refused:
        create(uow)

    assert refused.value.errors == {"tranches": {"tranches": ["Aucune tranche approuvée à payer."]}}
    assert refused.value.message == "Ordre de virement refusé : tranches: Aucune tranche approuvée à payer."


def test_a_tranche_asked_for_but_not_approved_and_a_bad_iban_are_both_named(uow, approved):
    uow.transfers.problems = {"lines[0].creditor_iban": ["IBAN invalide."]}
    stranger = uuid.uuid4()

    with pytest.raises(RunRefused) as refused:
        create(uow, [approved[0].id, stranger])

    assert refused.value.problems == {
        str(stranger): ["Tranche absente, non approuvée ou déjà dans un ordre de virement en cours."],
        "lines[0].creditor_iban": ["IBAN invalide."],
    }
    assert uow.payment_runs.runs == {}


def test_a_retried_request_gets_the_run_it_made(uow, approved):
    first = create(uow, key="bruno:k1")

    assert create(uow, key="bruno:k1") is first
    assert len(uow.payment_runs.runs) == 1


def test_the_file_is_written_once_and_served_again(uow, approved):
    run = create(uow)

    xml = payment_runs.export_run(uow, ExportPaymentRun(run.id, NOW, "bruno"))

    assert run.status == PaymentRunStatus.EXPORTED
    assert payment_runs.export_run(uow, ExportPaymentRun(run.id, NOW, "bruno")) == xml
    assert uow.transfers.written == [run.message_id]


def test_a_cancelled_run_is_not_exported_nor_cancelled_again(uow, approved):
    run = create(uow)
    payment_runs.cancel_run(uow, CancelPaymentRun(run.id, "bruno"))

    assert run.status == PaymentRunStatus.CANCELLED
    with pytest.raises(TrancheConflict) as export:
        payment_runs.export_run(uow, ExportPaymentRun(run.id, NOW, "bruno"))
    assert (export.value.code, export.value.message) == ("run_closed", "Cet ordre de virement est annulé.")
    with pytest.raises(TrancheConflict) as again:
        payment_runs.cancel_run(uow, CancelPaymentRun(run.id, "bruno"))
    assert again.value.message == "Seul un ordre de virement en préparation ou exporté peut être annulé."
    # Its tranches may go into another run.
    assert create(uow, key="other").number_of_transactions == 2


def test_only_an_exported_run_is_confirmed(uow, approved):
    run = create(uow)

    with pytest.raises(TrancheConflict) as refused:
        payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, "chloe", date(2025, 1, 16)))

    assert (refused.value.code, refused.value.message) == (
        "run_not_exported",
        "Seul un ordre de virement exporté peut être confirmé.",
    )


def test_neither_the_author_nor_an_approver_confirms_a_run(uow, approved):
    run = exported(uow)

    with pytest.raises(FourEyes) as by_author:
        payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, "bruno", date(2025, 1, 16)))
    with pytest.raises(FourEyes) as by_approver:
        payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, "alice", date(2025, 1, 16)))

    assert by_author.value.errors is None
    assert by_approver.value.errors == {
        "tranches": {str(t.id): ["Tranche approuvée par l'agent qui confirme."] for t in approved}
    }
    assert uow.payments.rows == []


def test_a_confirmed_run_pays_each_tranche(uow, approved):
    run = confirmed(uow)

    assert run.status == PaymentRunStatus.CONFIRMED
    assert run.confirmed_by == "chloe"
    assert [t.status for t in approved] == [TrancheStatus.PAID, TrancheStatus.PAID]
    assert sorted(p.amount for p in uow.payments.rows) == [Decimal("10000.00"), Decimal("12500.50")]
    assert {p.paid_by for p in uow.payments.rows} == {"chloe"}
    assert {e["tranche_id"] for e in uow.outbox.of_type("tranche.paid")} == {t.id for t in approved}
    assert {line.status for line in uow.payment_runs.lines(run.id)} == {RunLineStatus.PAID}


def test_a_rejected_line_returns_its_payment_and_the_tranche_is_paid_again(uow, approved):
    run = confirmed(uow)
    rejected, kept = approved
    convention = rejected.convention_id

    payment_runs.reject_lines(uow, RejectLines(run.id, {rejected.id: "AC04 compte clôturé"}, "chloe"))

    # The payment is kept, returned, with its history row; the tranche is approved again.
    [payment] = [p for p in uow.payments.rows if p.tranche_id == rejected.id]
    assert payment.status == PaymentStatus.RETURNED
    [returned] = uow.history.of(payment.id)
    assert (returned.machine, returned.from_status, returned.to_status, returned.actor) == (
        "payment",
        "paid",
        "returned",
        "chloe",
    )
    assert returned.reason == "rejet bancaire : AC04 compte clôturé"
    assert rejected.status == TrancheStatus.APPROVED
    assert kept.status == TrancheStatus.PAID
    line = next(line for line in uow.payment_runs.lines(run.id) if line.tranche_id == rejected.id)
    assert (line.status, line.rejection_reason) == (RunLineStatus.REJECTED, "AC04 compte clôturé")
    # What was paid no longer counts it.
    assert queries.balance(uow, convention).paid == Decimal(0)
    # Declaring the same rejection again changes nothing.
    payment_runs.reject_lines(uow, RejectLines(run.id, {rejected.id: "AC04"}, "chloe"))
    assert len(uow.history.of(payment.id)) == 1

    again = tranches.pay_tranche(uow, PayTranche(rejected.id, "bruno", date(2025, 2, 1), "VIR-2", TODAY))

    assert [p.status for p in uow.payments.rows if p.tranche_id == rejected.id] == [
        PaymentStatus.RETURNED,
        PaymentStatus.PAID,
    ]
    assert queries.balance(uow, convention).paid == again.amount == Decimal("10000.00")


def test_rejections_are_declared_on_a_confirmed_run_and_its_own_tranches(uow, approved):
    run = exported(uow)
    with pytest.raises(TrancheConflict) as early:
        payment_runs.reject_lines(uow, RejectLines(run.id, {approved[0].id: "AC04"}, "chloe"))
    assert early.value.code == "run_not_confirmed"

    payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, "chloe", date(2025, 1, 16)))
    stranger = uuid.uuid4()
    with pytest.raises(RunRefused) as unknown:
        payment_runs.reject_lines(uow, RejectLines(run.id, {stranger: "AC04"}, "chloe"))
    assert unknown.value.problems == {str(stranger): ["Tranche absente de cet ordre de virement."]}


def test_a_run_is_read_with_its_lines(uow, approved):
    run = create(uow)

    read = queries.payment_run(uow, run.id)

    assert (read["id"], read["status"], len(read["lines"])) == (run.id, PaymentRunStatus.DRAFT, 2)
    assert "sepa_xml" not in read
    assert SimpleNamespace(**read).number_of_transactions == 2
