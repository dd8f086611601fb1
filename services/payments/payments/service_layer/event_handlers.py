"""How the payments service reacts to the events of the other services (each in the inbox's transaction).

Each handler takes the payments unit of work the inbox opened (`receive` commits it with the inbox row;
a handler never commits) and the event. Handlers are idempotent on their own too (a convention already
scheduled is not scheduled again), so a replay after a lost acknowledgement changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cnum_shared.core.state_machine import Transition
from cnum_shared.core.wire import Envelope
from cnum_shared.framework.db import nogc, utcnow
from cnum_shared.framework.events.inbox import EventHandler
from payments.adapters.orm import ContractCopy, StandingCopy, StructureCopy
from payments.domain.tranches import (
    TRANCHES,
    UNPAID,
    ConventionStatus,
    TrancheEvent,
    TrancheKind,
    TrancheStatus,
)
from payments.service_layer import clawback, final_statements, regularisations, smic_checks
from payments.service_layer.tranches import move
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

_COPIED = ("name", "siret", "kind", "department", "qpv_zrr", "email", "iban", "bic")
PRODUCER = "conventions"


def record_structure(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """Keep the local copy of a structure; an event older than the copy (by conventions' sequence)
    changes nothing."""
    data = event.data
    copy = uow.structures.get(data["structure_id"])
    if copy is None:
        copy = StructureCopy(structure_id=data["structure_id"])
        uow.structures.add(copy)
    elif not event.supersedes(copy.last_sequence):
        return
    for field in _COPIED:
        setattr(copy, field, data[field])
    copy.last_event_at = event.occurred_at
    copy.last_sequence = event.sequence


@nogc
def schedule_conventions(uow: PaymentsUnitOfWork, events: Sequence[Envelope]) -> int:
    """`convention.signed`, for one event or many: each convention's tranches, scheduled on their due
    dates, with their history rows. Conventions already scheduled are skipped (a replay changes nothing).

    Core multi-row inserts rather than the ORM unit of work: scheduling the whole programme (4,000
    conventions, 12,000 tranches) is a few statements (DESIGN §8).
    """
    wanted = {event.data["convention_id"]: event for event in events}
    known = uow.conventions.known(wanted)
    fresh = [event for convention_id, event in wanted.items() if convention_id not in known]
    if not fresh:
        return 0
    structures = {event.data["structure_id"]: event for event in fresh}
    existing = uow.structures.known(structures)
    # `convention.*` events carry the structure's details: enough to pay it, should its own event lag.
    missing = [
        {
            "structure_id": structure_id,
            "siret": "",
            "last_event_at": event.occurred_at,
            "last_sequence": event.sequence,
            **event.data["structure"],
        }
        for structure_id, event in structures.items()
        if structure_id not in existing
    ]
    if missing:
        uow.structures.insert_rows(missing)
    uow.conventions.insert_rows(
        [
            {
                "convention_id": data["convention_id"],
                "structure_id": data["structure_id"],
                "reference": data["reference"],
                "wave": data["wave"],
                "posts": data["posts"],
                "start_date": data["start_date"],
                "end_date": data["end_date"],
                "funded_months": data["funded_months"],
                "amount_per_post": data["amount_per_post"],
                "total_amount": data["total_amount"],
                "signed_on": data["signed_on"],
                "status": ConventionStatus.ACTIVE,
                "ended_on": None,
                "settled_on": None,
                "funding_periods": periods_json(data["funding_periods"]),
            }
            for data in (event.data for event in fresh)
        ],
    )
    now = utcnow()
    tranches: list[dict[str, Any]] = []
    rows: list[Transition] = []
    for event in fresh:
        data = event.data
        for planned in data["tranches"]:
            tranche_id = uuid.uuid4()
            tranches.append(
                {
                    "id": tranche_id,
                    "convention_id": data["convention_id"],
                    "structure_id": data["structure_id"],
                    "number": planned["number"],
                    "amount": planned["amount"],
                    "due_on": planned["due_on"],
                    "status": TrancheStatus.SCHEDULED,
                    "approved_by": None,
                    "approved_at": None,
                    "updated_at": event.occurred_at,
                    "kind": TrancheKind.INSTALMENT,
                    "regularises": None,
                    "amendment_number": None,
                }
            )
            # The creation row of the tranche's state machine (TRANCHES.start), built here as a
            # Transition to be written with the others in one statement.
            rows.append(
                Transition(
                    machine=TRANCHES.name,
                    entity_id=tranche_id,
                    from_status=None,
                    to_status=TrancheStatus.SCHEDULED.value,
                    event="create",
                    actor=PRODUCER,
                    reason=f"convention {data['reference']} signée",
                    at=now,
                )
            )
    uow.tranches.insert_rows(tranches)
    uow.history.record_many(rows)
    return len(fresh)


def schedule_convention(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`convention.signed`: the three tranches, scheduled on their due dates."""
    schedule_conventions(uow, [event])


def periods_json(periods: Sequence[Mapping[str, Any]]) -> list[dict[str, str | int]]:
    """The funded periods as a `convention.*` event carries them, ready for a JSON column."""
    return [
        {
            "number": period["number"],
            "starts_on": period["starts_on"].isoformat(),
            "ends_on": period["ends_on"].isoformat(),
            "months": period["months"],
            "amount_per_post": str(period["amount_per_post"]),
            "monthly_rate": str(period["monthly_rate"]),
        }
        for period in periods
    ]


def reshape_convention(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`convention.amended`: the schedule the signed avenant states, applied as carried (DESIGN §4).

    An unpaid tranche takes its new amount; a tranche already approved or paid keeps its amount and the
    regularisation the avenant states is booked as carried (a payable line, or a recovery).
    """
    data = event.data
    convention = uow.conventions.get(data["convention_id"])
    if convention is None:
        raise LookupError(f"convention {data['convention_id']} was never signed here")
    regularisations.apply_schedule(
        uow,
        convention,
        {planned["number"]: planned["amount"] for planned in data["tranches"]},
        amendment_number=data["number"],
        signed_on=data["signed_on"],
        actor=PRODUCER,
        regularisations={row["number"]: row for row in data.get("regularisations") or []},
    )
    convention.posts = data["posts"]
    convention.total_amount = data["total_amount"]
    convention.funding_periods = periods_json(data["funding_periods"])


def end_convention(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`convention.terminated` / `convention.closed`: the unpaid tranches are cancelled; closing then
    settles the final statement as of the closing date (a last payable line, or a recovery). A repeated
    event finds the convention no longer active and changes nothing."""
    data = event.data
    convention = uow.conventions.get(data["convention_id"])
    if convention is None or convention.status != ConventionStatus.ACTIVE:
        return
    terminated = event.type == "convention.terminated"
    convention.status = ConventionStatus.TERMINATED if terminated else ConventionStatus.CLOSED
    convention.ended_on = data["on"]
    label = "résiliée" if terminated else "clôturée"
    for tranche in uow.tranches.of_convention(convention.convention_id):
        if tranche.status in UNPAID:
            move(uow, tranche, TrancheEvent.CANCEL, PRODUCER, f"convention {label} : {data['reason']}")
    if not terminated:
        final_statements.settle(uow, convention, data["on"], PRODUCER)


def record_contract(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`contract.signed`: the salary is checked against the SMIC on the start date."""
    data = event.data
    if uow.contracts.get(data["contract_id"]) is not None:
        return
    contract = ContractCopy(
        contract_id=data["contract_id"],
        convention_id=data["convention_id"],
        structure_id=data["structure_id"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        ended_on=None,
        end_reason=None,
    )
    uow.contracts.add(contract)
    uow.contracts.set_salary(data["contract_id"], data["start_date"], data["gross_monthly_salary"])
    smic_checks.check(uow, contract, data["start_date"], "contract_signed")
    clawback.cancel_on_refill(uow, contract, PRODUCER)


def record_salary(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`contract.salary_changed`: the new salary from its date, checked on that date."""
    data = event.data
    contract = uow.contracts.get(data["contract_id"])
    if contract is None:
        raise LookupError(f"contract {data['contract_id']} unknown here")
    uow.contracts.set_salary(contract.contract_id, data["effective_on"], data["gross_monthly_salary"])
    smic_checks.check(uow, contract, data["effective_on"], "salary_changed")


def end_contract(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`contract.ended`: a last check on the end date, and what may have to be paid back."""
    data = event.data
    contract = uow.contracts.get(data["contract_id"])
    if contract is None or contract.ended_on is not None:
        return
    contract.ended_on = data["ended_on"]
    contract.end_reason = data["reason"]
    smic_checks.check(uow, contract, data["ended_on"], "contract_ended")
    clawback.record_recovery(uow, contract, PRODUCER)


def record_standing(uow: PaymentsUnitOfWork, event: Envelope) -> None:
    """`structure.standing_changed`: the approval gate reads it (unknown until the first one)."""
    data = event.data
    copy = uow.standings.get(data["structure_id"])
    if copy is not None and not event.supersedes(copy.last_sequence):
        return
    if copy is None:
        copy = StandingCopy(structure_id=data["structure_id"])
        uow.standings.add(copy)
    copy.blocking = data["blocking"]
    copy.overdue = [
        {
            "obligation_id": str(item["obligation_id"]),
            "kind": item["kind"],
            "due_on": item["due_on"].isoformat(),
        }
        for item in data["overdue"]
    ]
    copy.as_of = data["as_of"]
    copy.last_event_at = event.occurred_at
    copy.last_sequence = event.sequence


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "structure.updated": record_structure,
    "convention.signed": schedule_convention,
    "convention.amended": reshape_convention,
    "convention.terminated": end_convention,
    "convention.closed": end_convention,
    "contract.signed": record_contract,
    "contract.salary_changed": record_salary,
    "contract.ended": end_contract,
    "structure.standing_changed": record_standing,
}
