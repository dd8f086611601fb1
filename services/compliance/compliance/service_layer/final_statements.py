"""What payments' `final_statement.settled` changes in compliance: the closed convention's final statement
(décompte final) to e-mail to the structure, stored as an alert (the digests' machinery: pending, retried,
sent once). Applied in the inbox's transaction: this use case never commits (the inbox records the event
and commits with it). Decision 0046.
"""

from __future__ import annotations

from cnum_shared.core.money import format_eur_fr
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import FinalStatement
from compliance.domain.alerts import AlertKind, alert_key
from compliance.service_layer.alerts import open_alert
from compliance.service_layer.commands import RecordFinalStatementSettled
from compliance.service_layer.conventions import update_contact_from_payments
from compliance.service_layer.unit_of_work import UnitOfWork


def statement_subject(reference: str, to_pay: str | None) -> str:
    """« … : 5 833,33 € restant à vous verser » when closing booked a last payment, else « rien ne reste à
    régler »."""
    outcome = f"{to_pay} restant à vous verser" if to_pay is not None else "rien ne reste à régler"
    return f"Décompte final — convention {reference} : {outcome}"


def record_final_statement_settled(uow: UnitOfWork, command: RecordFinalStatementSettled) -> bool:
    """The statement's e-mail, to send to the structure's address the event carries; once per convention
    (False when its statement is already recorded, whatever event brought it, or when it is not to mail)."""
    settlement = command.settlement
    if settlement is not None and settlement.kind == "recovery":
        # Closing left money to recover: payments issued the recovery too, and its order's e-mail
        # (recovery_orders) tells the structure and links to this statement. One e-mail per closing.
        return False
    if uow.alerts.with_key(alert_key(AlertKind.FINAL_STATEMENT, str(command.convention_id))) is not None:
        return False
    update_contact_from_payments(
        uow, command.structure_id, command.structure_name, command.structure_email, command.occurred_at
    )
    alert = open_alert(
        uow,
        kind=AlertKind.FINAL_STATEMENT,
        about=str(command.convention_id),
        structure_id=command.structure_id,
        on=command.closed_on,
        recipients=[command.structure_email],
        subject=statement_subject(
            command.convention_reference,
            format_eur_fr(settlement.amount) if settlement is not None else None,
        ),
    )
    uow.alerts.add(alert, [])
    uow.alerts.add_statement(
        FinalStatement(
            convention_id=command.convention_id,
            alert_id=alert.id,
            convention_reference=command.convention_reference,
            closed_on=command.closed_on,
            as_of=command.as_of,
            granted=command.granted,
            earned=command.earned,
            paid=command.paid,
            balance=command.balance,
            to_pay=command.to_pay,
            to_recover=command.to_recover,
            in_payment=command.in_payment,
            claimed=command.claimed,
            to_settle=command.to_settle,
            settlement_kind=settlement.kind if settlement is not None else None,
            settlement_id=settlement.id if settlement is not None else None,
            settlement_amount=settlement.amount if settlement is not None else None,
            created_at=utcnow(),
        )
    )
    return True
