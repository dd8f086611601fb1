"""How compliance reacts to the events of the conventions service: obligations opened from the legal
date of each case, fulfilled by the events that settle them (each in the inbox's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cnum_shared import legal
from cnum_shared.events.api import EventHandler
from cnum_shared.events.schemas import Envelope
from compliance.adapters.orm import ContractCopy, ConventionCopy, Obligation, StructureContact
from compliance.domain.obligations import ObligationEvent, ObligationKind
from compliance.service_layer.obligations import open_obligation, publish_standings, settle

ACTOR = "conventions"
#: What a contract's end makes moot: the advisor who left will not train, sit exams or need a computer.
_MOOT_WHEN_CONTRACT_ENDS = (
    ObligationKind.TRAINING_ENTRY,
    ObligationKind.CERTIFICATION_EXAMS,
    ObligationKind.THEMATIC_MODULES,
    ObligationKind.EQUIPMENT,
)


def _contact(session: Session, event: Envelope) -> None:
    data = event.data
    details: Mapping[str, Any] = data["structure"]
    contact = session.get(StructureContact, data["structure_id"])
    if contact is None:
        contact = StructureContact(structure_id=data["structure_id"], last_event_at=event.occurred_at)
        session.add(contact)
    elif contact.last_event_at > event.occurred_at:
        return
    contact.name, contact.email, contact.last_event_at = details["name"], details["email"], event.occurred_at
    session.flush()


def convention_signed(session: Session, event: Envelope) -> None:
    """The final report falls due after the convention's end; the structure's standing becomes known."""
    data = event.data
    _contact(session, event)
    if session.get(ConventionCopy, data["convention_id"]) is None:
        session.add(
            ConventionCopy(
                convention_id=data["convention_id"],
                structure_id=data["structure_id"],
                reference=data["reference"],
                end_date=data["end_date"],
                status="active",
            )
        )
        session.flush()
    open_obligation(
        session,
        ObligationKind.FINAL_REPORT,
        subject=data["convention_id"],
        structure_id=data["structure_id"],
        convention_id=data["convention_id"],
        legal_date=data["end_date"],
        actor=ACTOR,
        reason=f"convention {data['reference']} signée",
    )
    publish_standings(session, data["signed_on"], [data["structure_id"]])


def convention_changed(session: Session, event: Envelope) -> None:
    """`convention.amended`: the contact may have changed; the obligations stay."""
    _contact(session, event)


def convention_ended(session: Session, event: Envelope) -> None:
    """Terminated or closed: the final report is due from that day; refilling a post no longer is."""
    data = event.data
    _contact(session, event)
    convention = session.get(ConventionCopy, data["convention_id"])
    if convention is None:
        return
    convention.status = "terminated" if event.type == "convention.terminated" else "closed"
    settle(
        session,
        [
            Obligation.convention_id == convention.convention_id,
            Obligation.kind == ObligationKind.POST_REFILL.value,
        ],
        ObligationEvent.WAIVE,
        ACTOR,
        f"convention {'résiliée' if convention.status == 'terminated' else 'clôturée'}",
    )
    if data["on"] < convention.end_date:
        report = session.scalar(
            select(Obligation).where(
                Obligation.natural_key == f"{ObligationKind.FINAL_REPORT.value}:{convention.convention_id}"
            )
        )
        if report is not None and report.status in ("open", "due_soon", "overdue"):
            report.due_on = legal.deadline(ObligationKind.FINAL_REPORT.value, data["on"]).due_on(data["on"])


def candidate_presented(session: Session, event: Envelope) -> None:
    data = event.data
    _contact(session, event)
    open_obligation(
        session,
        ObligationKind.CANDIDATE_SELECTION,
        subject=data["candidate_id"],
        structure_id=data["structure_id"],
        convention_id=data["convention_id"],
        candidate_id=data["candidate_id"],
        legal_date=data["presented_on"],
        actor=ACTOR,
        reason="candidat présenté",
    )


def candidate_selected(session: Session, event: Envelope) -> None:
    data = event.data
    _contact(session, event)
    settle(
        session,
        [
            Obligation.candidate_id == data["candidate_id"],
            Obligation.kind == ObligationKind.CANDIDATE_SELECTION.value,
        ],
        ObligationEvent.FULFIL,
        ACTOR,
        f"candidat sélectionné le {data['selected_on'].isoformat()}",
    )
    open_obligation(
        session,
        ObligationKind.CONTRACT_SIGNATURE,
        subject=data["candidate_id"],
        structure_id=data["structure_id"],
        convention_id=data["convention_id"],
        candidate_id=data["candidate_id"],
        legal_date=data["selected_on"],
        actor=ACTOR,
        reason="candidat sélectionné",
    )


def contract_signed(session: Session, event: Envelope) -> None:
    """The clocks of the contract start at its signature: training entry and equipment."""
    data = event.data
    _contact(session, event)
    if session.get(ContractCopy, data["contract_id"]) is None:
        session.add(
            ContractCopy(
                contract_id=data["contract_id"],
                convention_id=data["convention_id"],
                structure_id=data["structure_id"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                signed_on=data["signed_on"],
                ended_on=None,
            )
        )
        session.flush()
    on_convention = [Obligation.convention_id == data["convention_id"]]
    signed = f"contrat signé le {data['signed_on'].isoformat()}"
    settle(
        session,
        [*on_convention, Obligation.kind == ObligationKind.CONTRACT_SIGNATURE.value],
        ObligationEvent.FULFIL,
        ACTOR,
        signed,
        first_only=True,
    )
    settle(
        session,
        [*on_convention, Obligation.kind == ObligationKind.POST_REFILL.value],
        ObligationEvent.FULFIL,
        ACTOR,
        signed,
        first_only=True,
    )
    for kind in (ObligationKind.TRAINING_ENTRY, ObligationKind.EQUIPMENT):
        open_obligation(
            session,
            kind,
            subject=data["contract_id"],
            structure_id=data["structure_id"],
            convention_id=data["convention_id"],
            contract_id=data["contract_id"],
            legal_date=data["signed_on"],
            actor=ACTOR,
            reason=signed,
        )
    publish_standings(session, data["signed_on"], [data["structure_id"]])


def contract_ended(session: Session, event: Envelope) -> None:
    """The post falls vacant: refill it (or give it back) in time; the contract's own steps are moot."""
    data = event.data
    contract = session.get(ContractCopy, data["contract_id"])
    if contract is None or contract.ended_on is not None:
        return
    contract.ended_on = data["ended_on"]
    settle(
        session,
        [
            Obligation.contract_id == contract.contract_id,
            Obligation.kind.in_([k.value for k in _MOOT_WHEN_CONTRACT_ENDS]),
        ],
        ObligationEvent.WAIVE,
        ACTOR,
        f"contrat terminé le {data['ended_on'].isoformat()}",
    )
    open_obligation(
        session,
        ObligationKind.POST_REFILL,
        subject=contract.contract_id,
        structure_id=contract.structure_id,
        convention_id=contract.convention_id,
        contract_id=contract.contract_id,
        legal_date=data["ended_on"],
        actor=ACTOR,
        reason=f"poste vacant depuis le {data['ended_on'].isoformat()}",
    )
    publish_standings(session, data["ended_on"], [contract.structure_id])


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "convention.signed": convention_signed,
    "convention.amended": convention_changed,
    "convention.terminated": convention_ended,
    "convention.closed": convention_ended,
    "candidate.presented": candidate_presented,
    "candidate.selected": candidate_selected,
    "contract.signed": contract_signed,
    "contract.ended": contract_ended,
}
