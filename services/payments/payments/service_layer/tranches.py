"""Use cases on tranches: falling due, approval behind its gates, payment (four eyes)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.money import format_eur_fr
from cnum_shared.core.state_machine import Transition, TransitionLog
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import Payment, Tranche
from payments.domain.errors import ApprovalRefused, FourEyes, TrancheNotFound
from payments.domain.gates import BlockingReason, ContractPay, OverdueObligation, Standing, blocking_reasons
from payments.domain.gates import Hold as HoldFact
from payments.domain.payments import PaymentStatus
from payments.domain.tranches import TRANCHES, TrancheConflict, TrancheEvent, TrancheKind, TrancheStatus
from payments.service_layer import recoveries, smic_checks
from payments.service_layer.commands import ApproveTranche, MarkDue, PayTranche
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

SYSTEM = "cnum (échéancier)"
#: The gates that hold an approval but not a payment (the tranche was approved in order, once due).
_APPROVAL_ONLY = ("not_due", "out_of_order")


def add_payable_line(
    uow: PaymentsUnitOfWork,
    *,
    convention_id: uuid.UUID,
    structure_id: uuid.UUID,
    number: int,
    amount: Decimal,
    due_on: date,
    kind: TrancheKind,
    regularises: int | None,
    amendment_number: int | None,
    actor: str,
    reason: str,
) -> Tranche:
    """A payable line beside the convention's instalments (an avenant's complement, the final statement's
    remainder): `scheduled`, falling due on `due_on` (`mark_due` moves it), its first history row written."""
    now = utcnow()
    line = Tranche(
        id=uuid.uuid4(),
        convention_id=convention_id,
        structure_id=structure_id,
        number=number,
        amount=amount,
        due_on=due_on,
        status=TrancheStatus.SCHEDULED,
        approved_by=None,
        approved_at=None,
        updated_at=now,
        kind=kind,
        regularises=regularises,
        amendment_number=amendment_number,
    )
    uow.tranches.add(line)  # written before its history row, which refers to it
    TRANCHES.start(line, TrancheStatus.SCHEDULED, actor=actor, reason=reason, at=now, log=uow.history)
    return line


def move(
    uow: PaymentsUnitOfWork,
    tranche: Tranche,
    event: TrancheEvent,
    actor: str,
    reason: str,
    log: TransitionLog | None = None,
) -> None:
    """Apply `event` to the tranche (TrancheConflict when TRANSITIONS does not allow it), with its
    history row (in `log` when given, to be written with others at once)."""
    now = utcnow()
    TRANCHES.apply(tranche, event, actor=actor, reason=reason, at=now, log=log or uow.history)
    tranche.updated_at = now


def note(uow: PaymentsUnitOfWork, tranche: Tranche, actor: str, reason: str, *, event: str) -> None:
    """A history row of the tranche that changes nothing of its state: what happened to it and why (a
    change of amount, a discrepancy, a bank's refusal of the run that held it)."""
    uow.history.record(
        Transition(
            machine=TRANCHES.name,
            entity_id=tranche.id,
            from_status=tranche.status.value,
            to_status=tranche.status.value,
            event=event,
            actor=actor,
            reason=reason,
            at=utcnow(),
        )
    )


def event_data(tranche: Tranche, paid_on: date | None) -> dict[str, Any]:
    """The data of the `tranche.*` events (the conventions service keeps what was settled of each tranche,
    the figures an avenant states: decision 0025)."""
    return {
        "tranche_id": tranche.id,
        "convention_id": tranche.convention_id,
        "structure_id": tranche.structure_id,
        "number": tranche.number,
        "amount": tranche.amount,
        "due_on": tranche.due_on,
        "paid_on": paid_on,
        "regularises": tranche.regularises,
    }


def get_tranche(uow: PaymentsUnitOfWork, tranche_id: uuid.UUID, *, for_update: bool = False) -> Tranche:
    tranche = uow.tranches.get(tranche_id, for_update=for_update)
    if tranche is None:
        raise TrancheNotFound()
    return tranche


def mark_due(uow: PaymentsUnitOfWork, command: MarkDue) -> int:
    """The `mark_due` job: every scheduled tranche whose date has come falls due (and says so)."""
    tranches = uow.tranches.falling_due(command.as_of)
    for tranche in tranches:
        move(uow, tranche, TrancheEvent.FALL_DUE, SYSTEM, f"échéance du {tranche.due_on.isoformat()}")
        uow.outbox.emit("tranche.due", event_data(tranche, None))
    uow.commit()
    return len(tranches)


def gates(uow: PaymentsUnitOfWork, tranche: Tranche, on: date) -> list[BlockingReason]:
    """Every reason the tranche cannot be approved or paid on `on`; each SMIC comparison is stored."""
    # Tranches are paid in order; a regularisation line waits only for the tranche it completes (and
    # those before it), and never holds up a later tranche.
    earlier = uow.tranches.unsettled_before(tranche)
    copy = uow.standings.get(tranche.structure_id)
    standing = (
        None
        if copy is None
        else Standing(
            blocking=copy.blocking,
            overdue=tuple(
                OverdueObligation(item["kind"], date.fromisoformat(item["due_on"])) for item in copy.overdue
            ),
            as_of=copy.as_of,
        )
    )
    holds = [
        HoldFact(hold.reason, hold.structure_id is None) for hold in uow.holds.in_force(tranche.structure_id)
    ]
    contracts: list[ContractPay] = []
    smic = None
    for contract in uow.contracts.active(tranche.structure_id, on):
        checked = smic_checks.check(uow, contract, on, "approval")
        if checked is not None:
            contracts.append(ContractPay(str(contract.contract_id)[:8], checked.salary))
    if contracts:
        smic = legal.smic_on(smic_checks.zone_of(uow, tranche.structure_id), on, tree=uow.parameters)
    return blocking_reasons(
        status=tranche.status,
        earlier_unsettled=list(earlier),
        standing=standing,
        contracts=contracts,
        smic=smic,
        holds=holds,
    )


def payment_gates(uow: PaymentsUnitOfWork, tranche: Tranche, on: date) -> list[BlockingReason]:
    """The gates a payment of an approved tranche must still pass on `on`."""
    return [reason for reason in gates(uow, tranche, on) if reason.code.value not in _APPROVAL_ONLY]


def approve_tranche(uow: PaymentsUnitOfWork, command: ApproveTranche) -> Tranche:
    """Approve a due (or blocked) tranche when every gate passes; a refusal blocks it with the reasons."""
    tranche = get_tranche(uow, command.tranche_id, for_update=True)
    if tranche.status not in (TrancheStatus.DUE, TrancheStatus.BLOCKED, TrancheStatus.SCHEDULED):
        TRANCHES.next(tranche.status, TrancheEvent.APPROVE)  # raises the conflict with its code
    reasons = gates(uow, tranche, command.on)
    if reasons:
        if tranche.status != TrancheStatus.SCHEDULED:
            move(uow, tranche, TrancheEvent.REFUSE, command.approver, " ; ".join(r.message for r in reasons))
        uow.commit()
        raise ApprovalRefused(reasons)
    move(uow, tranche, TrancheEvent.APPROVE, command.approver, command.comment or "approuvée")
    tranche.approved_by = command.approver
    tranche.approved_at = utcnow()
    uow.outbox.emit("tranche.approved", event_data(tranche, None))
    uow.commit()
    return tranche


def pay_tranche(uow: PaymentsUnitOfWork, command: PayTranche) -> Payment:
    """Pay an approved tranche once: four eyes, the gates again, not inside an open payment run."""
    tranche = get_tranche(uow, command.tranche_id, for_update=True)
    if tranche.status == TrancheStatus.APPROVED and tranche.approved_by == command.payer:
        raise FourEyes("L'agent qui a approuvé la tranche ne peut pas la payer (double contrôle).")
    if uow.payment_runs.holding(tranche.id) is not None:
        raise TrancheConflict("in_payment_run", "La tranche fait partie d'un ordre de virement en cours.")
    reason = f"payée le {command.paid_on.isoformat()} ({command.reference})"
    net = recoveries.transfer_amount(uow, tranche)
    if net != tranche.amount:
        # The payment settles the whole tranche; the transfer is net of the recoveries offset against it.
        withheld = format_eur_fr(tranche.amount - net)
        reason = f"{reason} : virement de {format_eur_fr(net)}, reversement retenu {withheld}"
    move(uow, tranche, TrancheEvent.PAY, command.payer, reason)
    reasons = payment_gates(uow, tranche, command.today)
    if reasons:
        uow.rollback()
        raise ApprovalRefused(reasons)
    payment = Payment(
        id=uuid.uuid4(),
        tranche_id=tranche.id,
        amount=tranche.amount,
        paid_on=command.paid_on,
        reference=command.reference,
        approved_by=tranche.approved_by or "",
        paid_by=command.payer,
        payment_run_id=None,
        created_at=utcnow(),
        status=PaymentStatus.PAID,
    )
    uow.payments.add(payment)
    # A concurrent request that paid it first: the database keeps one paid payment (a 409 here).
    uow.payments.write()
    uow.outbox.emit("tranche.paid", event_data(tranche, command.paid_on))
    uow.commit()
    return payment
