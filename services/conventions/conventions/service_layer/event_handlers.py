"""How the conventions service reacts to the events of payments (each in the inbox's transaction).

It keeps what payments settled of each tranche (decision 0025): an avenant states the amounts already
paid and the regularisation of what was settled, from this read model, and payments books that figure as
carried. It keeps a copy of each final statement and each issued recovery as received (decision 0033):
the statement's and the order's documents state those figures. A handler never commits
(`cnum_shared.framework.events.inbox.receive` does, with the inbox row).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnum_shared.core.wire import (
    Envelope,
    StatementPostSchema,
    StatementSettlementSchema,
    StructureDetailsSchema,
)
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.events.inbox import EventHandler
from conventions.adapters.orm import FinalStatement, RecoveryOrder, TrancheSettlement
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

#: What each event says the tranche now is; `tranche.returned`: the bank returned the payment and the
#: tranche is approved again, to be paid again.
_STATUS = {"tranche.approved": "approved", "tranche.paid": "paid", "tranche.returned": "approved"}


def record_settlement(uow: ConventionsUnitOfWork, event: Envelope) -> None:
    """`tranche.approved`, `tranche.paid`, `tranche.returned`: the tranche's latest state, ordered by
    payments' own sequence (an older event arriving late changes nothing)."""
    data = event.data
    settlement = uow.settlements.get(data["tranche_id"])
    if settlement is not None and not event.supersedes(settlement.last_sequence):
        return
    if settlement is None:
        if uow.conventions.get(data["convention_id"]) is None:
            return  # not a convention of this service: nothing an avenant of ours could state
        settlement = TrancheSettlement(tranche_id=data["tranche_id"], convention_id=data["convention_id"])
        uow.settlements.add(settlement)
    settlement.number = data["number"]
    settlement.regularises = data["regularises"]
    settlement.status = _STATUS[event.type]
    settlement.amount = data["amount"]
    settlement.paid_on = data["paid_on"] if event.type == "tranche.paid" else None
    settlement.last_sequence = event.sequence
    settlement.updated_at = utcnow()


def _as_json(schema: Any, value: Any) -> Any:
    """A nested part of an event's data back in its wire form (strings for amounts, ISO dates)."""
    return None if value is None else schema.dump(value)


def record_final_statement(uow: ConventionsUnitOfWork, event: Envelope) -> None:
    """`final_statement.settled`: a copy of the statement as payments settled it. A convention is settled
    once (payments books nothing when a settlement exists); should a second statement arrive, the first
    stays: it is the one closing booked and the one a document may already state."""
    data = event.data
    if uow.final_statements.get(data["convention_id"]) is not None:
        return
    if uow.conventions.get(data["convention_id"]) is None:
        return  # not a convention of this service: no document of ours states it
    uow.final_statements.add(
        FinalStatement(
            convention_id=data["convention_id"],
            event_id=event.id,
            structure_id=data["structure_id"],
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
            posts=StatementPostSchema(many=True).dump(data["posts"]),
            settlement=_as_json(StatementSettlementSchema(), data["settlement"]),
            structure=StructureDetailsSchema().dump(data["structure"]),
            received_at=utcnow(),
        )
    )


def record_recovery_order(uow: ConventionsUnitOfWork, event: Envelope) -> None:
    """`recovery.issued`: a copy of the recovery as payments issued it, the first received kept."""
    data = event.data
    if uow.recovery_orders.get(data["recovery_id"]) is not None:
        return
    if uow.conventions.get(data["convention_id"]) is None:
        return
    pay_to = data["pay_to"]
    uow.recovery_orders.add(
        RecoveryOrder(
            recovery_id=data["recovery_id"],
            event_id=event.id,
            convention_id=data["convention_id"],
            structure_id=data["structure_id"],
            convention_reference=data["convention_reference"],
            kind=data["kind"],
            amount=data["amount"],
            issued_on=data["issued_on"],
            pay_by=data["pay_by"],
            repayment_delay_days=data["repayment_delay_days"],
            payment_reference=data["payment_reference"],
            pay_to_name=pay_to["name"],
            pay_to_iban=pay_to["iban"],
            pay_to_bic=pay_to["bic"],
            computation=data["computation"],
            contract_id=data["contract_id"],
            months_started=data["months_started"],
            earned=data["earned"],
            paid_per_post=data["paid_per_post"],
            structure=StructureDetailsSchema().dump(data["structure"]),
            received_at=utcnow(),
        )
    )


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "tranche.approved": record_settlement,
    "tranche.paid": record_settlement,
    "tranche.returned": record_settlement,
    "final_statement.settled": record_final_statement,
    "recovery.issued": record_recovery_order,
}
