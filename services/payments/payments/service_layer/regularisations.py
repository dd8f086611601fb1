"""Applying the schedule a signed avenant states: payments never recomputes an amount (DESIGN §4).

A tranche still to pay takes the amount the avenant states. A tranche already approved or paid keeps
what was approved or paid; the difference between what the avenant states and what that tranche
already stands for (its amount, plus its earlier supplementary lines, less its earlier recoveries) is a
regularisation: a supplementary payable line when positive, a recovery when negative. Both show on the
balance and in the tranche's history.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from cnum_shared.core.money import format_eur_fr
from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery, Tranche
from payments.domain.clawback import LIVE_RECOVERIES, RECOVERIES, RecoveryKind, RecoveryStatus
from payments.domain.tranches import TRANCHES, UNPAID, TrancheEvent, TrancheKind, TrancheStatus
from payments.service_layer.tranches import move
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def apply_schedule(
    uow: PaymentsUnitOfWork,
    convention: ConventionCopy,
    signed: Mapping[int, Decimal],
    *,
    amendment_number: int,
    signed_on: date,
    actor: str,
) -> None:
    """Bring the convention's tranches to the amounts `signed` (number → amount) states."""
    lines = uow.tranches.of_convention(convention.convention_id)
    instalments = {line.number: line for line in lines if line.kind == TrancheKind.INSTALMENT}
    unknown = sorted(set(signed) - set(instalments))
    if unknown:
        raise LookupError(f"avenant n° {amendment_number} states tranches {unknown} this convention lacks")
    label = f"avenant n° {amendment_number}"
    next_number = max((line.number for line in lines), default=0) + 1
    for number, amount in sorted(signed.items()):
        tranche = instalments[number]
        status = TrancheStatus(tranche.status)
        if status is TrancheStatus.CANCELLED:
            continue
        if status in UNPAID:
            if tranche.amount != amount:
                _note(
                    uow,
                    tranche,
                    actor,
                    f"{label} : montant {format_eur_fr(tranche.amount)} → {format_eur_fr(amount)}",
                )
                tranche.amount = amount
                tranche.updated_at = utcnow()
            continue
        supplements = [
            line
            for line in lines
            if line.kind == TrancheKind.REGULARISATION
            and line.regularises == number
            and line.status != TrancheStatus.CANCELLED
        ]
        recovered = uow.recoveries.regularised_total(convention.convention_id, LIVE_RECOVERIES, number)
        stands_for = tranche.amount + sum((line.amount for line in supplements), Decimal(0)) - recovered
        difference = amount - stands_for
        if difference == 0:
            continue
        settled = "payée" if status is TrancheStatus.PAID else "approuvée"
        if difference > 0:
            line = _supplementary_line(
                uow, tranche, next_number, difference, amendment_number, signed_on, actor, label
            )
            lines.append(line)
            next_number += 1
            _note(
                uow,
                tranche,
                actor,
                f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
                f"{format_eur_fr(stands_for)} : complément de {format_eur_fr(difference)} "
                f"(ligne n° {line.number})",
            )
            continue
        owed_back = -difference
        # A supplementary line of this tranche not yet approved is reduced first: nothing to recover there.
        for line in supplements:
            if owed_back == 0 or TrancheStatus(line.status) not in UNPAID:
                continue
            taken = min(owed_back, line.amount)
            owed_back -= taken
            _note(
                uow,
                line,
                actor,
                f"{label} : montant {format_eur_fr(line.amount)} → {format_eur_fr(line.amount - taken)}",
            )
            line.amount -= taken
            if line.amount == 0:
                move(uow, line, TrancheEvent.CANCEL, actor, f"{label} : complément sans objet")
        if owed_back > 0:
            now = utcnow()
            recovery = Recovery(
                id=uuid.uuid4(),
                contract_id=None,
                convention_id=convention.convention_id,
                structure_id=convention.structure_id,
                amount=owed_back,
                months_started=0,
                refill_deadline=signed_on,
                created_at=now,
                kind=RecoveryKind.REGULARISATION,
                tranche_number=number,
                amendment_number=amendment_number,
                earned=None,
                paid_per_post=None,
                computation={
                    "tranche": number,
                    "signed": str(amount),
                    "already": str(stands_for),
                    "status": tranche.status.value,
                    "difference": str(difference),
                },
            )
            RECOVERIES.start(
                recovery,
                RecoveryStatus.ISSUED,
                actor=actor,
                reason=f"{label} : tranche {number}",
                at=now,
                log=uow.history,
            )
            uow.recoveries.add(recovery)
        _note(
            uow,
            tranche,
            actor,
            f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
            f"{format_eur_fr(stands_for)} : {format_eur_fr(-difference)} à reverser",
        )


def _note(uow: PaymentsUnitOfWork, tranche: Tranche, actor: str, reason: str) -> None:
    """A history row that records a change of amount; the tranche keeps its state."""
    uow.history.record(
        Transition(
            machine=TRANCHES.name,
            entity_id=tranche.id,
            from_status=tranche.status.value,
            to_status=tranche.status.value,
            event="amend",
            actor=actor,
            reason=reason,
            at=utcnow(),
        )
    )


def _supplementary_line(
    uow: PaymentsUnitOfWork,
    tranche: Tranche,
    number: int,
    amount: Decimal,
    amendment_number: int,
    signed_on: date,
    actor: str,
    label: str,
) -> Tranche:
    """A payable line completing `tranche`, falling due on the avenant's signature (`mark_due` moves it)."""
    now = utcnow()
    line = Tranche(
        id=uuid.uuid4(),
        convention_id=tranche.convention_id,
        structure_id=tranche.structure_id,
        number=number,
        amount=amount,
        due_on=signed_on,
        status=TrancheStatus.SCHEDULED,
        approved_by=None,
        approved_at=None,
        updated_at=now,
        kind=TrancheKind.REGULARISATION,
        regularises=tranche.number,
        amendment_number=amendment_number,
    )
    uow.tranches.add(line)  # written before its history row, which refers to it
    TRANCHES.start(
        line,
        TrancheStatus.SCHEDULED,
        actor=actor,
        reason=f"{label} : complément de la tranche {tranche.number} ({format_eur_fr(amount)})",
        at=now,
        log=uow.history,
    )
    return line
