"""The tranche use cases on the fake unit of work: falling due, approval behind its gates, payment with
four eyes, holds."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cnum_shared.core.errors import Conflict, Forbidden, NotFound
from payments.adapters.orm import ContractCopy, Hold
from payments.domain.errors import ApprovalRefused, FourEyes, HoldNotFound
from payments.domain.payments import PaymentStatus
from payments.domain.tranches import TrancheConflict, TrancheStatus
from payments.service_layer import holds, tranches
from payments.service_layer.commands import ApproveTranche, MarkDue, PayTranche, PlaceHold, ReleaseHold
from services.payments.tests.unit.fakes import a_clean_standing, a_convention, a_structure

TODAY = date(2025, 1, 10)


@pytest.fixture
def due(uow):
    """A structure in good standing whose convention's first tranche has fallen due."""
    structure = a_structure(uow)
    a_clean_standing(uow, structure)
    convention, schedule = a_convention(uow, structure)
    tranches.mark_due(uow, MarkDue(TODAY))
    return SimpleNamespace(structure=structure, convention=convention, tranches=schedule)


def approve(uow, tranche, by="alice", on=TODAY, comment=None):
    return tranches.approve_tranche(uow, ApproveTranche(tranche.id, by, on, comment))


def pay(uow, tranche, by="bruno", paid_on=date(2025, 1, 12), reference="VIR-1"):
    return tranches.pay_tranche(uow, PayTranche(tranche.id, by, paid_on, reference, TODAY))


def reasons(error):
    return [reason.code.value for reason in error.value.reasons]


def test_tranches_whose_date_has_come_fall_due_and_say_so(uow):
    structure = a_structure(uow)
    _, schedule = a_convention(uow, structure)

    assert tranches.mark_due(uow, MarkDue(date(2025, 1, 1))) == 1

    assert [t.status for t in schedule] == [
        TrancheStatus.DUE,
        TrancheStatus.SCHEDULED,
        TrancheStatus.SCHEDULED,
    ]
    [event] = uow.outbox.of_type("tranche.due")
    assert (event["tranche_id"], event["amount"], event["paid_on"]) == (
        schedule[0].id,
        Decimal("10000.00"),
        None,
    )
    [change] = uow.history.of(schedule[0].id)
    assert (change.from_status, change.to_status, change.reason) == (
        "scheduled",
        "due",
        "échéance du 2025-01-01",
    )
    assert uow.commits == 1
    assert tranches.mark_due(uow, MarkDue(date(2025, 1, 1))) == 0


def test_a_due_tranche_whose_gates_pass_is_approved(uow, due):
    first = due.tranches[0]

    approved = approve(uow, first, comment="pièces vues")

    assert approved.status == TrancheStatus.APPROVED
    assert approved.approved_by == "alice"
    change = uow.history.of(first.id)[-1]
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "due",
        "approved",
        "alice",
        "pièces vues",
    )


def test_an_unknown_standing_blocks_the_tranche_with_the_reason(uow):
    structure = a_structure(uow)
    _, schedule = a_convention(uow, structure)
    tranches.mark_due(uow, MarkDue(TODAY))

    with pytest.raises(ApprovalRefused) as refused:
        approve(uow, schedule[0])

    assert reasons(refused) == ["standing_unknown"]
    assert isinstance(refused.value, Conflict)
    assert refused.value.message.startswith("Approbation refusée : La situation de la structure")
    assert refused.value.errors == {
        "reasons": [{"code": "standing_unknown", "message": refused.value.reasons[0].message}]
    }
    # The refusal is kept: the tranche is blocked, and its history says why.
    assert schedule[0].status == TrancheStatus.BLOCKED
    assert uow.history.of(schedule[0].id)[-1].to_status == "blocked"
    assert uow.commits == 2


def test_every_gate_is_listed_at_once(uow, due):
    second = due.tranches[1]
    tranches.mark_due(uow, MarkDue(date(2026, 1, 1)))
    uow.holds.add(Hold(id=uuid.uuid4(), structure_id=None, reason="gel 2025", released_at=None))
    uow.standings.add(
        SimpleNamespace(
            structure_id=due.structure.structure_id,
            blocking=True,
            overdue=[{"kind": "equipment", "due_on": "2025-12-01"}],
            as_of=date(2026, 1, 1),
        )
    )

    with pytest.raises(ApprovalRefused) as refused:
        approve(uow, second, on=date(2026, 1, 2))

    assert reasons(refused) == ["out_of_order", "on_hold", "overdue_obligation"]
    assert [r.message for r in refused.value.reasons] == [
        "Les tranches se versent dans l'ordre : tranche(s) 1 d'abord.",
        "Paiements suspendus pour tout le programme : gel 2025",
        "Obligation en retard : équipement du conseiller, échue le 1er décembre 2025.",
    ]


def test_a_salary_below_the_smic_blocks_the_approval_and_the_check_is_kept(uow, due):
    contract = ContractCopy(
        contract_id=uuid.uuid4(),
        convention_id=due.convention.convention_id,
        structure_id=due.structure.structure_id,
        start_date=date(2024, 9, 1),
        end_date=None,
        ended_on=None,
        end_reason=None,
    )
    uow.contracts.add(contract)
    uow.contracts.set_salary(contract.contract_id, date(2024, 9, 1), Decimal("1000.00"))

    with pytest.raises(ApprovalRefused) as refused:
        approve(uow, due.tranches[0])

    assert reasons(refused) == ["below_smic"]
    [check] = uow.smic_checks.rows
    assert (check.trigger, check.salary, check.passed) == ("approval", Decimal("1000.00"), False)
    assert check.salary < check.smic_monthly


def test_a_tranche_not_yet_due_is_refused_and_stays_scheduled(uow, due):
    with pytest.raises(ApprovalRefused) as refused:
        approve(uow, due.tranches[2])

    assert "not_due" in reasons(refused)
    assert due.tranches[2].status == TrancheStatus.SCHEDULED
    assert uow.history.of(due.tranches[2].id) == []


def test_approving_twice_is_a_conflict(uow, due):
    approve(uow, due.tranches[0])

    with pytest.raises(TrancheConflict) as conflict:
        approve(uow, due.tranches[0])

    assert (conflict.value.code, conflict.value.message) == (
        "invalid_transition",
        "Action impossible sur une tranche approuvée.",
    )


def test_an_unknown_tranche_is_not_found(uow):
    with pytest.raises(NotFound) as missing:
        tranches.approve_tranche(uow, ApproveTranche(uuid.uuid4(), "alice", TODAY))
    assert missing.value.message == "Ressource introuvable."


def test_the_officer_who_approved_a_tranche_cannot_pay_it(uow, due):
    approve(uow, due.tranches[0], by="alice")

    with pytest.raises(FourEyes) as refused:
        pay(uow, due.tranches[0], by="alice")

    assert isinstance(refused.value, Forbidden)
    assert (
        refused.value.message == "L'agent qui a approuvé la tranche ne peut pas la payer (double contrôle)."
    )
    assert refused.value.errors is None
    assert uow.payments.rows == []


def test_another_officer_pays_an_approved_tranche_once(uow, due):
    first = due.tranches[0]
    approve(uow, first, by="alice")

    payment = pay(uow, first, by="bruno", reference="VIR-2025-001")

    assert (payment.amount, payment.approved_by, payment.paid_by, payment.status) == (
        Decimal("10000.00"),
        "alice",
        "bruno",
        PaymentStatus.PAID,
    )
    assert first.status == TrancheStatus.PAID
    [event] = uow.outbox.of_type("tranche.paid")
    assert (event["tranche_id"], event["paid_on"]) == (first.id, date(2025, 1, 12))
    assert uow.history.of(first.id)[-1].reason == "payée le 2025-01-12 (VIR-2025-001)"

    with pytest.raises(TrancheConflict) as again:
        pay(uow, first, by="chloe")
    assert (again.value.code, again.value.message) == ("already_paid", "La tranche est déjà payée.")
    assert len(uow.payments.rows) == 1


def test_a_tranche_that_is_not_approved_cannot_be_paid(uow, due):
    with pytest.raises(TrancheConflict) as refused:
        pay(uow, due.tranches[0])

    assert (refused.value.code, refused.value.message) == (
        "not_approved",
        "La tranche est échue : elle doit être approuvée.",
    )


def test_a_hold_placed_after_approval_stops_the_payment(uow, due):
    approve(uow, due.tranches[0])
    holds.place_hold(uow, PlaceHold(due.structure.structure_id, "contrôle en cours", "admin"))

    with pytest.raises(ApprovalRefused) as refused:
        pay(uow, due.tranches[0])

    assert reasons(refused) == ["on_hold"]
    assert uow.payments.rows == []
    assert uow.rollbacks == 1


def test_a_hold_is_placed_then_lifted_once(uow):
    hold = holds.place_hold(uow, PlaceHold(None, "gel 2025", "admin"))
    assert uow.holds.in_force(every=True) == [hold]

    lifted = holds.release_hold(uow, ReleaseHold(hold.id, "admin2"))

    assert (lifted.released_by, uow.holds.in_force(every=True)) == ("admin2", [])
    with pytest.raises(HoldNotFound) as again:
        holds.release_hold(uow, ReleaseHold(hold.id, "admin2"))
    assert again.value.message == "Suspension introuvable ou déjà levée."
