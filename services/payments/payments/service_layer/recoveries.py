"""Recoveries once due: `issued` with the day they are to be paid back by, announced by `recovery.issued`
(the order's figures: conventions draws the order up, compliance e-mails it); then `received` (the money
reached the agency's account) or `offset` (withheld from a later tranche of the structure). Decision 0031.

A regularisation and a final statement's recovery are issued as they are booked; a post that ended is
issued by the `issue_recoveries` job once its refill deadline has passed without a refill (DESIGN §4: a
refill before the deadline cancels it).

The books of an offset: the tranche's payment keeps the tranche's whole amount (what the tranche settles,
what `tranche.paid` states), the transfer to the structure is that amount less what it withholds
(`transfer_amount`), and the recovery counts as money back once that tranche is paid.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.errors import Invalid
from cnum_shared.core.money import format_eur_fr
from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery, Tranche
from payments.domain.bank_returns import recovery_reference
from payments.domain.clawback import RECOVERIES, RecoveryEvent
from payments.domain.errors import OffsetRefused, RecoveryNotFound
from payments.domain.tranches import TRANCHES, TrancheStatus
from payments.service_layer.clawback import receive_recovery
from payments.service_layer.commands import IssueRecoveries, OffsetRecovery, ReceiveRecovery
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

#: Who issues a recovery whose refill deadline passed.
SYSTEM = "cnum (reversements)"
_STRUCTURE_DETAILS = ("name", "kind", "department", "qpv_zrr", "email", "iban", "bic")


def pay_by(uow: PaymentsUnitOfWork, convention: ConventionCopy, issued_on: date) -> tuple[date, int]:
    """The day the money must have reached the agency's account, and the delay: the repayment delay the
    convention states (its terms at its signature, the date of the text the structure signed)."""
    delay = legal.convention_terms(convention.signed_on, tree=uow.parameters).repayment_delay_days
    return issued_on + timedelta(days=delay), delay


def announce_issued(
    uow: PaymentsUnitOfWork, recovery: Recovery, convention: ConventionCopy, issued_on: date
) -> None:
    """A recovery has just entered `issued` on `issued_on`: its `pay_by` is stored and `recovery.issued`
    emitted, in the transaction that issued it."""
    recovery.pay_by, delay = pay_by(uow, convention, issued_on)
    account = uow.agency_account
    data: dict[str, Any] = {
        "recovery_id": recovery.id,
        "convention_id": recovery.convention_id,
        "structure_id": recovery.structure_id,
        "convention_reference": convention.reference,
        "kind": recovery.kind.value,
        "amount": recovery.amount,
        "issued_on": issued_on,
        "pay_by": recovery.pay_by,
        "repayment_delay_days": delay,
        "payment_reference": recovery_reference(recovery.id),
        "pay_to": {"name": account.name, "iban": account.iban, "bic": account.bic},
        "computation": recovery.computation,
        "contract_id": recovery.contract_id,
        "months_started": recovery.months_started,
        "earned": recovery.earned,
        "paid_per_post": recovery.paid_per_post,
        "structure": structure_details(uow, recovery.structure_id),
    }
    uow.outbox.emit("recovery.issued", data)


def structure_details(uow: PaymentsUnitOfWork, structure_id: uuid.UUID) -> dict[str, Any]:
    """The structure as payments' events carry it (its copy, from conventions' events)."""
    structure = uow.structures.get(structure_id)
    if structure is None:
        raise LookupError(f"structure {structure_id} unknown here")
    return {field: getattr(structure, field) for field in _STRUCTURE_DETAILS}


def issue_recoveries(uow: PaymentsUnitOfWork, command: IssueRecoveries) -> int:
    """The `issue_recoveries` job: every provisional recovery whose refill deadline is before `as_of`
    (the post was not refilled in time) is issued on `as_of`. Run again the same day, it finds none."""
    recoveries = uow.recoveries.provisional_past_deadline(command.as_of)
    now = utcnow()
    for recovery in recoveries:
        convention = uow.conventions.get(recovery.convention_id)
        if convention is None:
            raise LookupError(f"convention {recovery.convention_id} unknown here")
        RECOVERIES.apply(
            recovery,
            RecoveryEvent.ISSUE,
            actor=SYSTEM,
            reason=f"poste non pourvu au {recovery.refill_deadline.isoformat()} (délai de remplacement)",
            at=now,
            log=uow.history,
        )
        announce_issued(uow, recovery, convention, command.as_of)
    uow.commit()
    return len(recoveries)


def get_recovery(uow: PaymentsUnitOfWork, recovery_id: uuid.UUID, *, for_update: bool = False) -> Recovery:
    recovery = uow.recoveries.get(recovery_id, for_update=for_update)
    if recovery is None:
        raise RecoveryNotFound()
    return recovery


def record_receipt(uow: PaymentsUnitOfWork, command: ReceiveRecovery) -> Recovery:
    """A finance officer records that the structure's transfer reached the agency's account."""
    recovery = get_recovery(uow, command.recovery_id, for_update=True)
    if command.received_on > command.today:
        raise Invalid(
            "La date de réception ne peut pas être postérieure à aujourd'hui.",
            errors={"received_on": ["Date future."]},
        )
    reason = "enregistré par un agent" + (f" : {command.note}" if command.note else "")
    receive_recovery(uow, recovery, command.received_on, command.by, reason)
    uow.commit()
    return recovery


def withheld(uow: PaymentsUnitOfWork, tranche_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    """What the recoveries offset against each tranche withhold from its transfer (tranche id → sum)."""
    found: dict[uuid.UUID, Decimal] = {}
    for recovery in uow.recoveries.offset_against(tranche_ids):
        assert recovery.offset_tranche_id is not None
        found[recovery.offset_tranche_id] = (
            found.get(recovery.offset_tranche_id, Decimal(0)) + recovery.amount
        )
    return found


def transfer_amount(uow: PaymentsUnitOfWork, tranche: Tranche) -> Decimal:
    """What is transferred to the structure for the tranche: its amount less what it withholds."""
    return tranche.amount - withheld(uow, [tranche.id]).get(tranche.id, Decimal(0))


def offset_recovery(uow: PaymentsUnitOfWork, command: OffsetRecovery) -> Recovery:
    """`issued → offset`: the recovery is withheld from a tranche of the same structure not yet paid (nor
    in a payment run under way), which is then paid net of it; the transfer must stay above zero."""
    recovery = get_recovery(uow, command.recovery_id, for_update=True)
    RECOVERIES.next(recovery.status, RecoveryEvent.OFFSET)  # 409 unless issued
    tranche = uow.tranches.get(command.tranche_id, for_update=True)
    if tranche is None:
        raise Invalid("Tranche inconnue.", errors={"tranche_id": ["Tranche inconnue des paiements."]})
    if tranche.structure_id != recovery.structure_id:
        raise OffsetRefused(
            "other_structure",
            "Cette tranche est due à une autre structure : un reversement ne se compense qu'avec une "
            "tranche de la structure qui le doit.",
        )
    if tranche.status in (TrancheStatus.PAID, TrancheStatus.CANCELLED):
        raise OffsetRefused(
            "tranche_settled",
            f"La tranche n° {tranche.number} est {TRANCHES.label(tranche.status)} : un reversement ne se "
            "compense qu'avec une tranche encore à payer.",
        )
    if uow.payment_runs.holding(tranche.id) is not None:
        raise OffsetRefused(
            "in_payment_run",
            "La tranche fait partie d'un ordre de virement en cours : annulez-le ou attendez qu'il soit "
            "exécuté.",
        )
    left = transfer_amount(uow, tranche)
    if recovery.amount >= left:
        raise OffsetRefused(
            "offset_too_large",
            f"Le reversement ({format_eur_fr(recovery.amount)}) n'est pas inférieur à ce qui reste à virer "
            f"sur la tranche n° {tranche.number} ({format_eur_fr(left)}) : le virement doit rester positif.",
        )
    net = left - recovery.amount
    now = utcnow()
    RECOVERIES.apply(
        recovery,
        RecoveryEvent.OFFSET,
        actor=command.by,
        reason=f"compensé sur la tranche n° {tranche.number} (virement de {format_eur_fr(net)})",
        at=now,
        log=uow.history,
    )
    recovery.offset_tranche_id = tranche.id
    # The tranche keeps its amount and state; its history says what its transfer will be.
    uow.history.record(
        Transition(
            machine=TRANCHES.name,
            entity_id=tranche.id,
            from_status=tranche.status.value,
            to_status=tranche.status.value,
            event="offset",
            actor=command.by,
            reason=f"reversement de {format_eur_fr(recovery.amount)} retenu : virement de "
            f"{format_eur_fr(net)} au lieu de {format_eur_fr(tranche.amount)}",
            at=now,
        )
    )
    uow.commit()
    return recovery


def release_offsets(uow: PaymentsUnitOfWork, tranche: Tranche, actor: str, reason: str) -> int:
    """The tranche will not be paid as it stood (cancelled, or reduced to what it withholds or less):
    the recoveries offset against it are due again (`offset → issued`); nothing committed."""
    released = uow.recoveries.offset_against([tranche.id])
    now = utcnow()
    for recovery in released:
        RECOVERIES.apply(
            recovery,
            RecoveryEvent.RELEASE_OFFSET,
            actor=actor,
            reason=f"compensation sur la tranche n° {tranche.number} levée : {reason}",
            at=now,
            log=uow.history,
        )
        recovery.offset_tranche_id = None
    return len(released)
