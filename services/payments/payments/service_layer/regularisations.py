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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cnum_shared.core.money import format_eur_fr
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery, Tranche
from payments.domain.tranches import UNPAID, TrancheEvent, TrancheKind, TrancheStatus
from payments.service_layer import history

#: Recoveries and lines that still count (a cancelled one was undone).
_LIVE_RECOVERIES = ("provisional", "issued", "received", "offset")


def apply_schedule(
    session: Session,
    convention: ConventionCopy,
    signed: Mapping[int, Decimal],
    *,
    amendment_number: int,
    signed_on: date,
    actor: str,
) -> None:
    """Bring the convention's tranches to the amounts `signed` (number → amount) states."""
    lines = list(
        session.scalars(
            select(Tranche).where(Tranche.convention_id == convention.convention_id).order_by(Tranche.number)
        )
    )
    instalments = {line.number: line for line in lines if line.kind == TrancheKind.INSTALMENT.value}
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
                    session,
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
            if line.kind == TrancheKind.REGULARISATION.value
            and line.regularises == number
            and line.status != TrancheStatus.CANCELLED.value
        ]
        recovered = session.scalar(
            select(func.coalesce(func.sum(Recovery.amount), 0)).where(
                Recovery.convention_id == convention.convention_id,
                Recovery.kind == "regularisation",
                Recovery.tranche_number == number,
                Recovery.status.in_(_LIVE_RECOVERIES),
            )
        ) or Decimal(0)
        stands_for = tranche.amount + sum((line.amount for line in supplements), Decimal(0)) - recovered
        difference = amount - stands_for
        if difference == 0:
            continue
        settled = "payée" if status is TrancheStatus.PAID else "approuvée"
        if difference > 0:
            line = _supplementary_line(
                session, tranche, next_number, difference, amendment_number, signed_on, actor, label
            )
            lines.append(line)
            next_number += 1
            _note(
                session,
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
                session,
                line,
                actor,
                f"{label} : montant {format_eur_fr(line.amount)} → {format_eur_fr(line.amount - taken)}",
            )
            line.amount -= taken
            if line.amount == 0:
                history.move(session, line, TrancheEvent.CANCEL, actor, f"{label} : complément sans objet")
        if owed_back > 0:
            session.add(
                Recovery(
                    id=uuid.uuid4(),
                    contract_id=None,
                    convention_id=convention.convention_id,
                    structure_id=convention.structure_id,
                    amount=owed_back,
                    months_started=0,
                    status="issued",
                    refill_deadline=signed_on,
                    created_at=utcnow(),
                    kind="regularisation",
                    tranche_number=number,
                    amendment_number=amendment_number,
                    earned=None,
                    paid_per_post=None,
                    computation={
                        "tranche": number,
                        "signed": str(amount),
                        "already": str(stands_for),
                        "status": tranche.status,
                        "difference": str(difference),
                    },
                )
            )
        _note(
            session,
            tranche,
            actor,
            f"{label} : montant signé {format_eur_fr(amount)}, tranche déjà {settled} pour "
            f"{format_eur_fr(stands_for)} : {format_eur_fr(-difference)} à reverser",
        )


def _note(session: Session, tranche: Tranche, actor: str, reason: str) -> None:
    """A history row that records a change of amount; the tranche keeps its state."""
    history.record(session, tranche.id, tranche.status, tranche.status, actor, reason)


def _supplementary_line(
    session: Session,
    tranche: Tranche,
    number: int,
    amount: Decimal,
    amendment_number: int,
    signed_on: date,
    actor: str,
    label: str,
) -> Tranche:
    """A payable line completing `tranche`, falling due on the avenant's signature (`mark_due` moves it)."""
    line = Tranche(
        id=uuid.uuid4(),
        convention_id=tranche.convention_id,
        structure_id=tranche.structure_id,
        number=number,
        amount=amount,
        due_on=signed_on,
        status=TrancheStatus.SCHEDULED.value,
        approved_by=None,
        approved_at=None,
        updated_at=utcnow(),
        kind=TrancheKind.REGULARISATION.value,
        regularises=tranche.number,
        amendment_number=amendment_number,
    )
    session.add(line)
    session.flush()
    history.record(
        session,
        line.id,
        None,
        line.status,
        actor,
        f"{label} : complément de la tranche {tranche.number} ({format_eur_fr(amount)})",
    )
    return line
