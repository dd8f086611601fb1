"""Applying the schedule a signed avenant states: payments never recomputes an amount (DESIGN §4).

A tranche still to pay takes the amount the avenant states. A tranche already approved or paid keeps
what was approved or paid, and the regularisation the avenant states of it (computed by the conventions
service from payments' `tranche.*` events, decision 0025) is booked as carried: a supplementary payable
line, a reduction of the unpaid supplementary lines, a recovery. Both show on the balance and in the
tranche's history. Where this service's books disagree with what the avenant assumed (a tranche settled
after the avenant was drawn up, or another figure), nothing is invented: the avenant's figures are
booked as signed, and the discrepancy is a history row (`discrepancy`) that the balance lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core.money import format_eur_fr
from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery, Tranche
from payments.domain.clawback import LIVE_RECOVERIES, RECOVERIES, RecoveryKind, RecoveryStatus
from payments.domain.tranches import TRANCHES, UNPAID, TrancheEvent, TrancheKind, TrancheStatus
from payments.service_layer import recoveries
from payments.service_layer.tranches import add_payable_line, move
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

#: The `event` of a tranche history row that records a discrepancy between an avenant and the books.
DISCREPANCY = "discrepancy"


def apply_schedule(
    uow: PaymentsUnitOfWork,
    convention: ConventionCopy,
    signed: Mapping[int, Decimal],
    *,
    amendment_number: int,
    signed_on: date,
    actor: str,
    regularisations: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """Bring the convention's tranches to the amounts `signed` (number → amount) states, and book the
    `regularisations` (number → what the avenant states of a tranche it found settled) as carried."""
    stated = regularisations or {}
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
        regularisation = stated.get(number)
        if status in UNPAID:
            if regularisation is not None:
                # The avenant found it settled and it is not (nothing is booked against an unpaid tranche).
                _flag(
                    uow,
                    tranche,
                    actor,
                    f"{label} : la tranche y est tenue pour réglée ({regularisation['settled']}) mais "
                    "elle ne l'est pas : aucune régularisation n'est passée",
                )
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
        # What this service's own books say the tranche stands for: the guard against an avenant drawn up
        # on other figures, never a figure booked in its place.
        stands_for = tranche.amount + sum((line.amount for line in supplements), Decimal(0)) - recovered
        settled = "payée" if status is TrancheStatus.PAID else "approuvée"
        if regularisation is None:
            if amount != stands_for:
                _flag(
                    uow,
                    tranche,
                    actor,
                    f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
                    f"{format_eur_fr(stands_for)} que l'avenant tenait pour non réglée : écart de "
                    f"{format_eur_fr(amount - stands_for)} non régularisé",
                )
            continue
        if regularisation["stands_for"] != stands_for:
            _flag(
                uow,
                tranche,
                actor,
                f"{label} : l'avenant tient la tranche pour {format_eur_fr(regularisation['stands_for'])}, "
                f"les paiements pour {format_eur_fr(stands_for)} : régularisation passée telle que signée",
            )
        supplement: Decimal = regularisation["supplement"]
        if supplement > 0:
            line = _supplementary_line(
                uow, tranche, next_number, supplement, amendment_number, signed_on, actor, label
            )
            lines.append(line)
            next_number += 1
            _note(
                uow,
                tranche,
                actor,
                f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
                f"{format_eur_fr(regularisation['stands_for'])} : complément de {format_eur_fr(supplement)} "
                f"(ligne n° {line.number})",
            )
            continue
        to_reduce: Decimal = regularisation["supplement_reduced"]
        # The supplementary lines of this tranche not yet approved are reduced first, in order.
        for line in supplements:
            if to_reduce == 0 or TrancheStatus(line.status) not in UNPAID:
                continue
            taken = min(to_reduce, line.amount)
            to_reduce -= taken
            _note(
                uow,
                line,
                actor,
                f"{label} : montant {format_eur_fr(line.amount)} → {format_eur_fr(line.amount - taken)}",
            )
            line.amount -= taken
            if line.amount == 0:
                move(uow, line, TrancheEvent.CANCEL, actor, f"{label} : complément sans objet")
        if to_reduce > 0:
            _flag(
                uow,
                tranche,
                actor,
                f"{label} : {format_eur_fr(to_reduce)} à retirer de compléments déjà approuvés ou payés : "
                "non retirés",
            )
        to_recover: Decimal = regularisation["to_recover"]
        if to_recover > 0:
            _recovery(
                uow,
                convention,
                number,
                amendment_number,
                signed_on,
                actor,
                label,
                amount,
                tranche,
                regularisation,
            )
        if to_recover > 0 or regularisation["supplement_reduced"] > 0:
            _note(
                uow,
                tranche,
                actor,
                f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
                f"{format_eur_fr(regularisation['stands_for'])} : "
                f"{format_eur_fr(regularisation['stands_for'] - amount)} à reverser",
            )


def _recovery(
    uow: PaymentsUnitOfWork,
    convention: ConventionCopy,
    number: int,
    amendment_number: int,
    signed_on: date,
    actor: str,
    label: str,
    amount: Decimal,
    tranche: Tranche,
    regularisation: Mapping[str, Any],
) -> None:
    """The recovery the avenant states of a tranche already settled (`issued` from its signature)."""
    now = utcnow()
    recovery = Recovery(
        id=uuid.uuid4(),
        contract_id=None,
        convention_id=convention.convention_id,
        structure_id=convention.structure_id,
        amount=regularisation["to_recover"],
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
            "already": str(regularisation["stands_for"]),
            "status": tranche.status.value,
            "difference": str(amount - regularisation["stands_for"]),
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
    # Due from the avenant's signature: its order counts the repayment delay from that day.
    recoveries.announce_issued(uow, recovery, convention, signed_on)


def _flag(uow: PaymentsUnitOfWork, tranche: Tranche, actor: str, reason: str) -> None:
    """A discrepancy between the avenant and this service's books: a history row the balance lists
    (`event` DISCREPANCY), never a figure invented in its place (decision 0025)."""
    _note(uow, tranche, actor, f"écart : {reason}", event=DISCREPANCY)


def _note(
    uow: PaymentsUnitOfWork, tranche: Tranche, actor: str, reason: str, *, event: str = "amend"
) -> None:
    """A history row that records a change of amount (or a discrepancy); the tranche keeps its state."""
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
    return add_payable_line(
        uow,
        convention_id=tranche.convention_id,
        structure_id=tranche.structure_id,
        number=number,
        amount=amount,
        due_on=signed_on,
        kind=TrancheKind.REGULARISATION,
        regularises=tranche.number,
        amendment_number=amendment_number,
        actor=actor,
        reason=f"{label} : complément de la tranche {tranche.number} ({format_eur_fr(amount)})",
    )
