"""How the payments service reacts to the events of the other services (each in the inbox's transaction).

Handlers are idempotent on their own too (a convention already scheduled is not scheduled again), so a
replay after a lost acknowledgement changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cnum_shared.core.wire import Envelope
from cnum_shared.framework.db import among, insert_rows, nogc, utcnow
from cnum_shared.framework.events.inbox import EventHandler
from payments.adapters.orm import (
    ContractCopy,
    ConventionCopy,
    SalaryPeriod,
    StandingCopy,
    StructureCopy,
    Tranche,
    TrancheHistory,
)
from payments.domain.tranches import UNPAID, TrancheEvent, TrancheStatus
from payments.service_layer import clawback, history, regularisations, smic_checks

_COPIED = ("name", "siret", "kind", "department", "qpv_zrr", "email", "iban", "bic")
PRODUCER = "conventions"


def record_structure(session: Session, event: Envelope) -> None:
    """Keep the local copy of a structure; an event older than the copy (by conventions' sequence)
    changes nothing."""
    data = event.data
    copy = session.get(StructureCopy, data["structure_id"])
    if copy is None:
        copy = StructureCopy(structure_id=data["structure_id"])
        session.add(copy)
    elif not event.supersedes(copy.last_sequence):
        return
    for field in _COPIED:
        setattr(copy, field, data[field])
    copy.last_event_at = event.occurred_at
    copy.last_sequence = event.sequence


@nogc
def schedule_conventions(session: Session, events: Sequence[Envelope]) -> int:
    """`convention.signed`, for one event or many: each convention's tranches, scheduled on their due
    dates, with their history rows. Conventions already scheduled are skipped (a replay changes nothing).

    Core multi-row inserts rather than the ORM unit of work: scheduling the whole programme (4,000
    conventions, 12,000 tranches) is a few statements (DESIGN §8).
    """
    wanted = {event.data["convention_id"]: event for event in events}
    known = set(
        session.scalars(
            select(ConventionCopy.convention_id).where(among(session, ConventionCopy.convention_id, wanted))
        )
    )
    fresh = [event for convention_id, event in wanted.items() if convention_id not in known]
    if not fresh:
        return 0
    structures = {event.data["structure_id"]: event for event in fresh}
    existing = set(
        session.scalars(
            select(StructureCopy.structure_id).where(among(session, StructureCopy.structure_id, structures))
        )
    )
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
        insert_rows(session, StructureCopy, missing)
    insert_rows(
        session,
        ConventionCopy,
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
                "status": "active",
                "ended_on": None,
                "funding_periods": periods_json(data["funding_periods"]),
            }
            for data in (event.data for event in fresh)
        ],
    )
    now = utcnow()
    tranches: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
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
                    "status": TrancheStatus.SCHEDULED.value,
                    "approved_by": None,
                    "approved_at": None,
                    "updated_at": event.occurred_at,
                    "kind": "instalment",
                    "regularises": None,
                    "amendment_number": None,
                }
            )
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tranche_id": tranche_id,
                    "from_status": None,
                    "to_status": TrancheStatus.SCHEDULED.value,
                    "actor": PRODUCER,
                    "reason": f"convention {data['reference']} signée",
                    "at": now,
                }
            )
    insert_rows(session, Tranche, tranches)
    insert_rows(session, TrancheHistory, rows)
    return len(fresh)


def schedule_convention(session: Session, event: Envelope) -> None:
    """`convention.signed`: the three tranches, scheduled on their due dates."""
    schedule_conventions(session, [event])


def _tranches(session: Session, convention_id: uuid.UUID) -> list[Tranche]:
    return list(
        session.scalars(
            select(Tranche).where(Tranche.convention_id == convention_id).order_by(Tranche.number)
        )
    )


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


def reshape_convention(session: Session, event: Envelope) -> None:
    """`convention.amended`: the schedule the signed avenant states, applied as carried (DESIGN §4).

    An unpaid tranche takes its new amount; a tranche already approved or paid keeps its amount and the
    difference is booked as a regularisation (a payable line, or a recovery).
    """
    data = event.data
    convention = session.get(ConventionCopy, data["convention_id"])
    if convention is None:
        raise LookupError(f"convention {data['convention_id']} was never signed here")
    regularisations.apply_schedule(
        session,
        convention,
        {planned["number"]: planned["amount"] for planned in data["tranches"]},
        amendment_number=data["number"],
        signed_on=data["signed_on"],
        actor=PRODUCER,
    )
    convention.posts = data["posts"]
    convention.total_amount = data["total_amount"]
    convention.funding_periods = periods_json(data["funding_periods"])


def end_convention(session: Session, event: Envelope) -> None:
    """`convention.terminated` / `convention.closed`: the unpaid tranches are cancelled."""
    data = event.data
    convention = session.get(ConventionCopy, data["convention_id"])
    if convention is None or convention.status != "active":
        return
    convention.status = "terminated" if event.type == "convention.terminated" else "closed"
    convention.ended_on = data["on"]
    label = "résiliée" if convention.status == "terminated" else "clôturée"
    for tranche in _tranches(session, convention.convention_id):
        if TrancheStatus(tranche.status) in UNPAID:
            history.move(
                session, tranche, TrancheEvent.CANCEL, PRODUCER, f"convention {label} : {data['reason']}"
            )


def record_contract(session: Session, event: Envelope) -> None:
    """`contract.signed`: the salary is checked against the SMIC on the start date."""
    data = event.data
    if session.get(ContractCopy, data["contract_id"]) is not None:
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
    session.add(contract)
    _add_salary(session, data["contract_id"], data["start_date"], data["gross_monthly_salary"])
    smic_checks.check(session, contract, data["start_date"], "contract_signed")
    clawback.cancel_on_refill(session, contract)


def _add_salary(session: Session, contract_id: uuid.UUID, effective_on: date, salary: Decimal) -> None:
    existing = session.scalar(
        select(SalaryPeriod).where(
            SalaryPeriod.contract_id == contract_id, SalaryPeriod.effective_on == effective_on
        )
    )
    if existing is None:
        session.add(
            SalaryPeriod(id=uuid.uuid4(), contract_id=contract_id, effective_on=effective_on, salary=salary)
        )
    else:
        existing.salary = salary
    session.flush()


def record_salary(session: Session, event: Envelope) -> None:
    """`contract.salary_changed`: the new salary from its date, checked on that date."""
    data = event.data
    contract = session.get(ContractCopy, data["contract_id"])
    if contract is None:
        raise LookupError(f"contract {data['contract_id']} unknown here")
    _add_salary(session, contract.contract_id, data["effective_on"], data["gross_monthly_salary"])
    smic_checks.check(session, contract, data["effective_on"], "salary_changed")


def end_contract(session: Session, event: Envelope) -> None:
    """`contract.ended`: a last check on the end date, and what may have to be paid back."""
    data = event.data
    contract = session.get(ContractCopy, data["contract_id"])
    if contract is None or contract.ended_on is not None:
        return
    contract.ended_on = data["ended_on"]
    contract.end_reason = data["reason"]
    smic_checks.check(session, contract, data["ended_on"], "contract_ended")
    clawback.record_recovery(session, contract)


def record_standing(session: Session, event: Envelope) -> None:
    """`structure.standing_changed`: the approval gate reads it (unknown until the first one)."""
    data = event.data
    copy = session.get(StandingCopy, data["structure_id"])
    if copy is not None and not event.supersedes(copy.last_sequence):
        return
    if copy is None:
        copy = StandingCopy(structure_id=data["structure_id"])
        session.add(copy)
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


_HANDLERS_ON_SESSIONS = {
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


def _on_the_session(handler: Any) -> EventHandler:
    # Transitional: these handlers still take the session; the inbox hands them the unit of work.
    return lambda uow, event: handler(uow.session, event)


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    name: _on_the_session(handler) for name, handler in _HANDLERS_ON_SESSIONS.items()
}
