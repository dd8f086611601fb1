"""Recoveries that become due: `issued`, with the day they are to be paid back by, announced by
`recovery.issued` (the order's figures: conventions draws the order up, compliance e-mails it).

A regularisation and a final statement's recovery are issued as they are booked; a post that ended is
issued by the `issue_recoveries` job once its refill deadline has passed without a refill (DESIGN §4: a
refill before the deadline cancels it). Decision 0031.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from cnum_shared.core import legal
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ConventionCopy, Recovery
from payments.domain.bank_returns import recovery_reference
from payments.domain.clawback import RECOVERIES, RecoveryEvent
from payments.service_layer.commands import IssueRecoveries
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
