"""Use cases on tranches: falling due, approval behind its gates, payment (four eyes), holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.core import legal
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.events.outbox import emit
from payments.adapters.orm import (
    ConventionCopy,
    Hold,
    Payment,
    PaymentRun,
    PaymentRunLine,
    StandingCopy,
    StructureCopy,
    Tranche,
    TrancheHistory,
    event_tables,
)
from payments.domain.gates import BlockingReason, ContractPay, OverdueObligation, Standing, blocking_reasons
from payments.domain.gates import Hold as HoldFact
from payments.domain.tranches import TrancheConflict, TrancheEvent, TrancheKind, TrancheStatus, next_status
from payments.service_layer import history, smic_checks

SYSTEM = "cnum (échéancier)"


class TrancheNotFound(LookupError):
    pass


class ApprovalRefused(Exception):
    """The gates hold the tranche (a 409 listing every reason)."""

    def __init__(self, reasons: list[BlockingReason]) -> None:
        super().__init__("; ".join(reason.message for reason in reasons))
        self.reasons = reasons


class FourEyes(Exception):
    """The officer who approved a tranche cannot pay it, nor confirm a payment run that holds it; the
    author of a run cannot confirm it (a 403). `tranches` names each tranche concerned, with why."""

    def __init__(self, message: str, tranches: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.tranches = tranches or {}


@dataclass(frozen=True)
class TrancheFilters:
    status: str | None = None
    due_before: date | None = None
    structure_id: uuid.UUID | None = None
    convention_id: uuid.UUID | None = None


def _event_data(tranche: Tranche, paid_on: date | None) -> dict[str, Any]:
    return {
        "tranche_id": tranche.id,
        "convention_id": tranche.convention_id,
        "structure_id": tranche.structure_id,
        "number": tranche.number,
        "amount": tranche.amount,
        "due_on": tranche.due_on,
        "paid_on": paid_on,
    }


def mark_due(uow: UnitOfWork, as_of: date) -> int:
    """The `mark_due` job: every scheduled tranche whose date has come falls due (and says so)."""
    tranches = uow.session.scalars(
        select(Tranche)
        .where(Tranche.status == TrancheStatus.SCHEDULED.value, Tranche.due_on <= as_of)
        .order_by(Tranche.due_on, Tranche.id)
    ).all()
    for tranche in tranches:
        history.move(
            uow.session, tranche, TrancheEvent.FALL_DUE, SYSTEM, f"échéance du {tranche.due_on.isoformat()}"
        )
        emit(
            uow.session,
            event_tables,
            producer="payments",
            event_type="tranche.due",
            data=_event_data(tranche, None),
        )
    uow.commit()
    return len(tranches)


def get_tranche(uow: UnitOfWork, tranche_id: uuid.UUID, *, for_update: bool = False) -> Tranche:
    statement = select(Tranche).where(Tranche.id == tranche_id)
    if for_update:
        statement = statement.with_for_update()
    tranche = uow.session.scalar(statement)
    if tranche is None:
        raise TrancheNotFound(tranche_id)
    return tranche


# The finance officers' busiest page (bench/run.py measures it): Core statements on the tables, built
# once, executed on the connection and read as plain rows, so that a request pays for its rows and not
# for building statements and ORM objects. The page names each tranche for people (reference, structure)
# by joins on primary keys.
_TRANCHES = cast(Table, Tranche.__table__)
_CONVENTIONS = cast(Table, ConventionCopy.__table__)
_STRUCTURES = cast(Table, StructureCopy.__table__)
_PAGE = (
    select(
        *_TRANCHES.c,
        _CONVENTIONS.c.reference.label("convention_reference"),
        _STRUCTURES.c.name.label("structure_name"),
    )
    .join(_CONVENTIONS, _CONVENTIONS.c.convention_id == _TRANCHES.c.convention_id)
    .join(_STRUCTURES, _STRUCTURES.c.structure_id == _TRANCHES.c.structure_id)
    .order_by(_TRANCHES.c.due_on, _TRANCHES.c.convention_id, _TRANCHES.c.number)
)
_COUNT = select(func.count()).select_from(_TRANCHES)


def list_tranches(
    uow: UnitOfWork, filters: TrancheFilters, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    conditions: list[Any] = []
    if filters.status:
        conditions.append(_TRANCHES.c.status == filters.status)
    if filters.due_before:
        conditions.append(_TRANCHES.c.due_on <= filters.due_before)
    if filters.structure_id:
        conditions.append(_TRANCHES.c.structure_id == filters.structure_id)
    if filters.convention_id:
        conditions.append(_TRANCHES.c.convention_id == filters.convention_id)
    connection = uow.session.connection()
    total = connection.execute(_COUNT.where(*conditions)).scalar_one()
    page = connection.execute(_PAGE.where(*conditions).offset(offset).limit(limit)).all()
    return page, total


def tranche_history(uow: UnitOfWork, tranche_id: uuid.UUID) -> Sequence[TrancheHistory]:
    get_tranche(uow, tranche_id)
    return uow.session.scalars(
        select(TrancheHistory)
        .where(TrancheHistory.tranche_id == tranche_id)
        .order_by(TrancheHistory.at, TrancheHistory.id)
    ).all()


def schedule(uow: UnitOfWork, convention_id: uuid.UUID) -> tuple[ConventionCopy, Sequence[Tranche]]:
    convention = uow.session.get(ConventionCopy, convention_id)
    if convention is None:
        raise TrancheNotFound(convention_id)
    tranches = uow.session.scalars(
        select(Tranche).where(Tranche.convention_id == convention_id).order_by(Tranche.number)
    ).all()
    return convention, tranches


def gates(uow: UnitOfWork, tranche: Tranche, on: date) -> list[BlockingReason]:
    """Every reason the tranche cannot be approved or paid on `on`; each SMIC comparison is stored."""
    session = uow.session
    # Tranches are paid in order; a regularisation line waits only for the tranche it completes (and
    # those before it), and never holds up a later tranche.
    earlier_than = (
        Tranche.number <= tranche.regularises
        if tranche.kind == TrancheKind.REGULARISATION and tranche.regularises is not None
        else Tranche.number < tranche.number
    )
    earlier = session.scalars(
        select(Tranche.number).where(
            Tranche.convention_id == tranche.convention_id,
            Tranche.kind == TrancheKind.INSTALMENT.value,
            earlier_than,
            Tranche.status.not_in((TrancheStatus.PAID.value, TrancheStatus.CANCELLED.value)),
        )
    ).all()
    copy = session.get(StandingCopy, tranche.structure_id)
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
        HoldFact(hold.reason, hold.structure_id is None)
        for hold in session.scalars(
            select(Hold).where(
                Hold.released_at.is_(None),
                (Hold.structure_id.is_(None)) | (Hold.structure_id == tranche.structure_id),
            )
        )
    ]
    contracts: list[ContractPay] = []
    smic = None
    for contract in smic_checks.active_contracts(session, tranche.structure_id, on):
        checked = smic_checks.check(session, contract, on, "approval")
        if checked is not None:
            contracts.append(ContractPay(str(contract.contract_id)[:8], checked.salary))
    if contracts:
        smic = legal.smic_on(smic_checks.zone_of(session, tranche.structure_id), on)
    return blocking_reasons(
        status=tranche.status,
        earlier_unsettled=list(earlier),
        standing=standing,
        contracts=contracts,
        smic=smic,
        holds=holds,
    )


def approve(uow: UnitOfWork, tranche_id: uuid.UUID, approver: str, on: date, comment: str | None) -> Tranche:
    """Approve a due (or blocked) tranche when every gate passes; a refusal blocks it with the reasons."""
    tranche = get_tranche(uow, tranche_id, for_update=True)
    if TrancheStatus(tranche.status) not in (
        TrancheStatus.DUE,
        TrancheStatus.BLOCKED,
        TrancheStatus.SCHEDULED,
    ):
        next_status(TrancheStatus(tranche.status), TrancheEvent.APPROVE)  # raises the conflict with its code
    reasons = gates(uow, tranche, on)
    if reasons:
        if tranche.status != TrancheStatus.SCHEDULED.value:
            history.move(
                uow.session, tranche, TrancheEvent.REFUSE, approver, " ; ".join(r.message for r in reasons)
            )
        uow.commit()
        raise ApprovalRefused(reasons)
    history.move(uow.session, tranche, TrancheEvent.APPROVE, approver, comment or "approuvée")
    tranche.approved_by = approver
    tranche.approved_at = utcnow()
    uow.commit()
    return tranche


def pay(
    uow: UnitOfWork, tranche_id: uuid.UUID, payer: str, paid_on: date, reference: str, today: date
) -> Payment:
    """Pay an approved tranche once: four eyes, the gates again, not inside an open payment run."""
    tranche = get_tranche(uow, tranche_id, for_update=True)
    if tranche.status == TrancheStatus.APPROVED.value and tranche.approved_by == payer:
        raise FourEyes("L'agent qui a approuvé la tranche ne peut pas la payer (double contrôle).")
    in_run = uow.session.scalar(
        select(PaymentRun.id)
        .join(PaymentRunLine, PaymentRunLine.payment_run_id == PaymentRun.id)
        .where(PaymentRunLine.tranche_id == tranche.id, PaymentRun.status.in_(("draft", "exported")))
        .limit(1)
    )
    if in_run is not None:
        raise TrancheConflict("in_payment_run", "La tranche fait partie d'un ordre de virement en cours.")
    history.move(
        uow.session, tranche, TrancheEvent.PAY, payer, f"payée le {paid_on.isoformat()} ({reference})"
    )
    reasons = [
        reason
        for reason in gates(uow, tranche, today)
        if reason.code.value not in ("not_due", "out_of_order")
    ]
    if reasons:
        uow.rollback()
        raise ApprovalRefused(reasons)
    payment = Payment(
        id=uuid.uuid4(),
        tranche_id=tranche.id,
        amount=tranche.amount,
        paid_on=paid_on,
        reference=reference,
        approved_by=tranche.approved_by or "",
        paid_by=payer,
        payment_run_id=None,
        created_at=utcnow(),
    )
    uow.session.add(payment)
    emit(
        uow.session,
        event_tables,
        producer="payments",
        event_type="tranche.paid",
        data=_event_data(tranche, paid_on),
    )
    try:
        uow.commit()
    except IntegrityError:
        # Another request paid it between our read and our write: the database kept one payment.
        uow.rollback()
        raise TrancheConflict("already_paid", "La tranche est déjà payée.") from None
    return payment


def place_hold(uow: UnitOfWork, structure_id: uuid.UUID | None, reason: str, by: str) -> Hold:
    hold = Hold(
        id=uuid.uuid4(),
        structure_id=structure_id,
        reason=reason,
        created_by=by,
        created_at=utcnow(),
        released_by=None,
        released_at=None,
    )
    uow.session.add(hold)
    uow.commit()
    return hold


def release_hold(uow: UnitOfWork, hold_id: uuid.UUID, by: str) -> Hold:
    hold = uow.session.get(Hold, hold_id)
    if hold is None or hold.released_at is not None:
        raise TrancheNotFound(hold_id)
    hold.released_at, hold.released_by = utcnow(), by
    uow.commit()
    return hold


def list_holds(uow: UnitOfWork) -> Sequence[Hold]:
    return uow.session.scalars(select(Hold).where(Hold.released_at.is_(None)).order_by(Hold.created_at)).all()
