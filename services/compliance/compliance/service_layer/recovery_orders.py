"""What payments' `recovery.issued` changes in compliance: the order (ordre de reversement) to e-mail to
the structure, stored as an alert (the digests' machinery: pending, retried, sent once). Applied in the
inbox's transaction: this use case never commits (the inbox records the event and commits with it)."""

from __future__ import annotations

from cnum_shared.core.money import format_date_fr, format_eur_fr
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import RecoveryOrder
from compliance.domain.alerts import AlertKind, alert_key
from compliance.service_layer.alerts import open_alert
from compliance.service_layer.commands import RecordRecoveryIssued
from compliance.service_layer.conventions import update_contact_from_payments
from compliance.service_layer.unit_of_work import UnitOfWork


def order_subject(reference: str, amount: str, pay_by: str) -> str:
    return f"Ordre de reversement — convention {reference} : {amount} à reverser avant le {pay_by}"


def record_recovery_issued(uow: UnitOfWork, command: RecordRecoveryIssued) -> bool:
    """The order's e-mail, to send to the structure's address the event carries; once per recovery
    (False when this recovery's order is already recorded, whatever event brought it)."""
    if uow.alerts.with_key(alert_key(AlertKind.RECOVERY_ORDER, str(command.recovery_id))) is not None:
        return False
    update_contact_from_payments(
        uow, command.structure_id, command.structure_name, command.structure_email, command.occurred_at
    )
    alert = open_alert(
        uow,
        kind=AlertKind.RECOVERY_ORDER,
        about=str(command.recovery_id),
        structure_id=command.structure_id,
        on=command.issued_on,
        recipients=[command.structure_email],
        subject=order_subject(
            command.convention_reference, format_eur_fr(command.amount), format_date_fr(command.pay_by)
        ),
    )
    uow.alerts.add(alert, [])
    uow.alerts.add_order(
        RecoveryOrder(
            recovery_id=command.recovery_id,
            alert_id=alert.id,
            convention_id=command.convention_id,
            convention_reference=command.convention_reference,
            kind=command.kind,
            amount=command.amount,
            issued_on=command.issued_on,
            pay_by=command.pay_by,
            repayment_delay_days=command.repayment_delay_days,
            payment_reference=command.payment_reference,
            account_name=command.pay_to.name,
            iban=command.pay_to.iban,
            bic=command.pay_to.bic,
            computation=command.computation,
            contract_id=command.contract_id,
            months_started=command.months_started,
            earned=command.earned,
            paid_per_post=command.paid_per_post,
            created_at=utcnow(),
        )
    )
    return True
