"""How the conventions service reacts to the events of payments (each in the inbox's transaction).

It keeps what payments settled of each tranche (decision 0025): an avenant states the amounts already
paid and the regularisation of what was settled, from this read model, and payments books that figure as
carried. A handler never commits (`cnum_shared.framework.events.inbox.receive` does, with the inbox row).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnum_shared.core.wire import Envelope
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.events.inbox import EventHandler
from conventions.adapters.orm import TrancheSettlement
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


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "tranche.approved": record_settlement,
    "tranche.paid": record_settlement,
    "tranche.returned": record_settlement,
}
