"""How compliance reacts to the events of the conventions service (and payments' `recovery.issued` and
`final_statement.settled`): each handler reads its event into a command and calls its use case, in the
inbox's unit of work (the inbox commits, the handler never does)."""

from __future__ import annotations

from collections.abc import Mapping

from cnum_shared.core.wire import Envelope
from cnum_shared.framework.events.inbox import EventHandler
from compliance.service_layer import conventions, final_statements, recovery_orders
from compliance.service_layer.commands import (
    Account,
    Contact,
    RecordCandidatePresented,
    RecordCandidateSelected,
    RecordContractEnded,
    RecordContractSigned,
    RecordConventionAmended,
    RecordConventionEnded,
    RecordConventionSigned,
    RecordFinalStatementSettled,
    RecordRecoveryIssued,
    Settlement,
)
from compliance.service_layer.unit_of_work import UnitOfWork


def _contact(event: Envelope) -> Contact:
    details = event.data["structure"]
    return Contact(
        structure_id=event.data["structure_id"],
        name=details["name"],
        email=details["email"],
        occurred_at=event.occurred_at,
        sequence=event.sequence,
    )


def convention_signed(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    conventions.record_convention_signed(
        uow,
        RecordConventionSigned(
            contact=_contact(event),
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            reference=data["reference"],
            signed_on=data["signed_on"],
            end_date=data["end_date"],
            posts=data["posts"],
        ),
    )


def convention_amended(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    conventions.record_convention_amended(
        uow,
        RecordConventionAmended(
            contact=_contact(event),
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            amendment_id=data["amendment_id"],
            number=data["number"],
            signed_on=data["signed_on"],
            effective_date=data["effective_date"],
            posts_before=data["posts_before"],
            posts=data["posts"],
        ),
    )


def convention_ended(uow: UnitOfWork, event: Envelope) -> None:
    conventions.record_convention_ended(
        uow,
        RecordConventionEnded(
            contact=_contact(event),
            convention_id=event.data["convention_id"],
            terminated=event.type == "convention.terminated",
            on=event.data["on"],
        ),
    )


def candidate_presented(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    conventions.record_candidate_presented(
        uow,
        RecordCandidatePresented(
            contact=_contact(event),
            candidate_id=data["candidate_id"],
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            advisor_id=data["advisor_id"],
            presented_on=data["presented_on"],
        ),
    )


def candidate_selected(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    conventions.record_candidate_selected(
        uow,
        RecordCandidateSelected(
            contact=_contact(event),
            candidate_id=data["candidate_id"],
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            selected_on=data["selected_on"],
        ),
    )


def contract_signed(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    conventions.record_contract_signed(
        uow,
        RecordContractSigned(
            contact=_contact(event),
            contract_id=data["contract_id"],
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            advisor_id=data["advisor_id"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            signed_on=data["signed_on"],
        ),
    )


def contract_ended(uow: UnitOfWork, event: Envelope) -> None:
    conventions.record_contract_ended(
        uow, RecordContractEnded(contract_id=event.data["contract_id"], ended_on=event.data["ended_on"])
    )


def recovery_issued(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    structure, account = data["structure"], data["pay_to"]
    recovery_orders.record_recovery_issued(
        uow,
        RecordRecoveryIssued(
            recovery_id=data["recovery_id"],
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            structure_name=structure["name"],
            structure_email=structure["email"],
            occurred_at=event.occurred_at,
            convention_reference=data["convention_reference"],
            kind=data["kind"],
            amount=data["amount"],
            issued_on=data["issued_on"],
            pay_by=data["pay_by"],
            repayment_delay_days=data["repayment_delay_days"],
            payment_reference=data["payment_reference"],
            pay_to=Account(name=account["name"], iban=account["iban"], bic=account["bic"]),
            computation=data["computation"],
            contract_id=data["contract_id"],
            months_started=data["months_started"],
            earned=data["earned"],
            paid_per_post=data["paid_per_post"],
        ),
    )


def final_statement_settled(uow: UnitOfWork, event: Envelope) -> None:
    data = event.data
    structure, settlement = data["structure"], data["settlement"]
    final_statements.record_final_statement_settled(
        uow,
        RecordFinalStatementSettled(
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            structure_name=structure["name"],
            structure_email=structure["email"],
            occurred_at=event.occurred_at,
            convention_reference=data["convention_reference"],
            closed_on=data["closed_on"],
            as_of=data["as_of"],
            granted=data["granted"],
            earned=data["earned"],
            paid=data["paid"],
            balance=data["balance"],
            to_pay=data["to_pay"],
            to_recover=data["to_recover"],
            in_payment=data["in_payment"],
            claimed=data["claimed"],
            to_settle=data["to_settle"],
            settlement=(
                None
                if settlement is None
                else Settlement(kind=settlement["kind"], id=settlement["id"], amount=settlement["amount"])
            ),
        ),
    )


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "convention.signed": convention_signed,
    "convention.amended": convention_amended,
    "convention.terminated": convention_ended,
    "convention.closed": convention_ended,
    "candidate.presented": candidate_presented,
    "candidate.selected": candidate_selected,
    "contract.signed": contract_signed,
    "contract.ended": contract_ended,
    "recovery.issued": recovery_issued,
    "final_statement.settled": final_statement_settled,
}
