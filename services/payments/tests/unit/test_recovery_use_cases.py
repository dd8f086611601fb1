"""Recoveries once due, on the fake unit of work: issued by the daily job when no refill can cancel them
any more, received, offset against a tranche transferred net of them, and released when that tranche
will not be paid as it stood (decision 0031). Figures worked out by hand in each test."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cnum_shared.core.errors import Invalid
from payments.adapters.orm import Recovery
from payments.domain.clawback import RECOVERIES, RecoveryKind, RecoveryStatus
from payments.domain.errors import OffsetRefused, RecoveryNotIssued
from payments.domain.tranches import TrancheStatus
from payments.service_layer import payment_runs, recoveries, regularisations, tranches
from payments.service_layer.commands import (
    ApproveTranche,
    ConfirmPaymentRun,
    CreatePaymentRun,
    ExportPaymentRun,
    IssueRecoveries,
    MarkDue,
    OffsetRecovery,
    ReceiveRecovery,
)
from services.payments.tests.unit.fakes import a_clean_standing, a_convention, a_structure

TODAY = date(2025, 1, 10)
NOW = datetime(2025, 1, 10, 9, tzinfo=UTC)
#: shared/parameters/convention.yaml: repayment_delay_days, 30 since 1 November 2020.
DELAY = timedelta(days=30)


def a_recovery(uow, convention, amount, status=RecoveryStatus.ISSUED, deadline=date(2025, 1, 1)):
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=uuid.uuid4(),
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=Decimal(amount),
        months_started=3,
        refill_deadline=deadline,
        created_at=NOW,
        kind=RecoveryKind.POST_ENDED,
        earned=Decimal("3125.00"),
        paid_per_post=Decimal("10000.00"),
        computation=[],
        pay_by=None,
        offset_tranche_id=None,
    )
    RECOVERIES.start(recovery, status, actor="test", reason="test", at=NOW, log=uow.history)
    uow.recoveries.add(recovery)
    return recovery


@pytest.fixture
def convention(uow):
    """A convention of 10 000 + 5 000 (signed 1 January 2025), its structure clear of obligations."""
    structure = a_structure(uow)
    a_clean_standing(uow, structure)
    convention, _ = a_convention(uow, structure, ("10000.00", "5000.00"))
    return convention


def schedule(uow, convention):
    return sorted(uow.tranches.of_convention(convention.convention_id), key=lambda t: t.number)


def test_the_job_issues_what_no_refill_can_cancel_any_more(uow, convention):
    due = a_recovery(uow, convention, "6875.00", RecoveryStatus.PROVISIONAL, deadline=date(2025, 3, 31))
    nothing = a_recovery(uow, convention, "0.00", RecoveryStatus.PROVISIONAL, deadline=date(2025, 3, 31))

    # A refill on the deadline still cancels it: not issued that day.
    assert recoveries.issue_recoveries(uow, IssueRecoveries(date(2025, 3, 31))) == 0
    assert recoveries.issue_recoveries(uow, IssueRecoveries(date(2025, 4, 1))) == 1

    assert (due.status, due.pay_by) == (RecoveryStatus.ISSUED, date(2025, 4, 1) + DELAY)
    assert due.pay_by == date(2025, 5, 1)
    [event] = uow.outbox.of_type("recovery.issued")
    assert (event["recovery_id"], event["issued_on"], event["pay_by"], event["repayment_delay_days"]) == (
        due.id,
        date(2025, 4, 1),
        date(2025, 5, 1),
        30,
    )
    assert event["payment_reference"] == "CNR" + due.id.hex.upper()
    assert event["pay_to"] == {
        "name": "Caisse des depots et consignations",
        "iban": "FR7640031000010000001234555",
        "bic": "CDCGFRPPXXX",
    }
    # A recovery of 0.00 claims nothing: never issued. The next day's run finds nothing.
    assert nothing.status == RecoveryStatus.PROVISIONAL
    assert recoveries.issue_recoveries(uow, IssueRecoveries(date(2025, 4, 2))) == 0
    assert len(uow.outbox.of_type("recovery.issued")) == 1
    assert [(t.from_status, t.to_status) for t in uow.history.of(due.id)] == [
        (None, "provisional"),
        ("provisional", "issued"),
    ]


def test_only_an_issued_recovery_is_received(uow, convention):
    provisional = a_recovery(uow, convention, "500.00", RecoveryStatus.PROVISIONAL)
    issued = a_recovery(uow, convention, "500.00")

    with pytest.raises(RecoveryNotIssued) as refused:
        recoveries.record_receipt(uow, ReceiveRecovery(provisional.id, TODAY, "chloe", TODAY))
    assert refused.value.code == "recovery_not_issued"
    with pytest.raises(Invalid):
        recoveries.record_receipt(uow, ReceiveRecovery(issued.id, TODAY + timedelta(days=1), "chloe", TODAY))

    recoveries.record_receipt(uow, ReceiveRecovery(issued.id, date(2025, 1, 9), "chloe", TODAY, "VIR 12"))

    assert issued.status == RecoveryStatus.RECEIVED
    assert uow.history.of(issued.id)[-1].reason == "reçu le 2025-01-09 (enregistré par un agent : VIR 12)"


def test_an_offset_tranche_is_transferred_net_and_its_payment_settles_it_whole(uow, convention):
    first, _ = schedule(uow, convention)
    recovery = a_recovery(uow, convention, "1234.56")

    recoveries.offset_recovery(uow, OffsetRecovery(recovery.id, first.id, "chloe"))
    tranches.mark_due(uow, MarkDue(TODAY))
    tranches.approve_tranche(uow, ApproveTranche(first.id, "alice", TODAY))
    run = payment_runs.create_run(uow, CreatePaymentRun(None, date(2025, 1, 15), "bruno", TODAY))
    payment_runs.export_run(uow, ExportPaymentRun(run.id, NOW, "bruno"))
    payment_runs.confirm_run(uow, ConfirmPaymentRun(run.id, "chloe", date(2025, 1, 16)))

    # 10 000 − 1 234,56 = 8 765,44 transferred; the payment books the tranche's 10 000.
    [line] = uow.payment_runs.lines(run.id)
    assert (line.amount, run.control_sum) == (Decimal("8765.44"), Decimal("8765.44"))
    [payment] = uow.payments.rows
    assert payment.amount == Decimal("10000.00")
    assert (recovery.status, recovery.offset_tranche_id) == (RecoveryStatus.OFFSET, first.id)
    # tranche.paid keeps its meaning: what the tranche settles.
    assert uow.outbox.of_type("tranche.paid")[0]["amount"] == Decimal("10000.00")


def test_an_offset_must_leave_a_transfer_and_a_tranche_free_of_runs(uow, convention):
    first, _ = schedule(uow, convention)
    one = a_recovery(uow, convention, "6000.00")
    two = a_recovery(uow, convention, "4000.00")
    recoveries.offset_recovery(uow, OffsetRecovery(one.id, first.id, "chloe"))

    # 10 000 − 6 000 = 4 000 left: 4 000 more would leave nothing to transfer.
    with pytest.raises(OffsetRefused) as refused:
        recoveries.offset_recovery(uow, OffsetRecovery(two.id, first.id, "chloe"))
    assert refused.value.code == "offset_too_large"
    assert two.status == RecoveryStatus.ISSUED

    tranches.mark_due(uow, MarkDue(date(2026, 1, 1)))
    tranches.approve_tranche(uow, ApproveTranche(first.id, "alice", date(2026, 1, 1)))
    payment_runs.create_run(uow, CreatePaymentRun([first.id], date(2026, 1, 5), "bruno", date(2026, 1, 1)))
    small = a_recovery(uow, convention, "100.00")
    with pytest.raises(OffsetRefused) as refused:
        recoveries.offset_recovery(uow, OffsetRecovery(small.id, first.id, "chloe"))
    assert refused.value.code == "in_payment_run"


def test_a_tranche_an_avenant_reduces_below_its_offset_releases_it(uow, convention):
    _, second = schedule(uow, convention)
    recovery = a_recovery(uow, convention, "4000.00")
    recoveries.offset_recovery(uow, OffsetRecovery(recovery.id, second.id, "chloe"))

    # The avenant brings tranche 2 from 5 000 to 3 000: 4 000 can no longer be withheld from it.
    regularisations.apply_schedule(
        uow,
        convention,
        {1: Decimal("10000.00"), 2: Decimal("3000.00")},
        amendment_number=1,
        signed_on=date(2025, 6, 1),
        actor="conventions",
    )

    assert second.amount == Decimal("3000.00") and second.status == TrancheStatus.SCHEDULED
    assert (recovery.status, recovery.offset_tranche_id) == (RecoveryStatus.ISSUED, None)
    released = uow.history.of(recovery.id)[-1]
    assert (released.from_status, released.to_status, released.event) == (
        "offset",
        "issued",
        "release_offset",
    )
    assert released.reason.startswith("compensation sur la tranche n° 2 levée : avenant n° 1")
