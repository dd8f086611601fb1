"""How compliance reacts to the events of the conventions service: obligations opened from the legal
date of each case, fulfilled by the events that settle them (each in the inbox's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cnum_shared.core import legal
from cnum_shared.core.wire import Envelope
from cnum_shared.framework.events.inbox import EventHandler
from compliance.adapters.orm import ContractCopy, ConventionCopy, Obligation, StructureContact
from compliance.domain.obligations import ObligationEvent, ObligationKind
from compliance.service_layer.obligations import (
    candidate_presented_on_post,
    contract_fills_post,
    give_back_posts,
    open_obligation,
    open_posts,
    publish_standings,
    settle,
)

ACTOR = "conventions"
#: What a contract's end makes moot: the advisor who left will not train, sit exams or need a computer.
_MOOT_WHEN_CONTRACT_ENDS = (
    ObligationKind.TRAINING_ENTRY,
    ObligationKind.CERTIFICATION_EXAMS,
    ObligationKind.THEMATIC_MODULES,
    ObligationKind.CONTINUING_TRAINING,
    ObligationKind.EQUIPMENT,
)
#: What a convention's end makes moot: no post of it is to be filled any more.
_MOOT_WHEN_CONVENTION_ENDS = (ObligationKind.POST_REFILL, ObligationKind.CANDIDATE_PRESENTATION)


def _contact(session: Session, event: Envelope) -> None:
    data = event.data
    details: Mapping[str, Any] = data["structure"]
    contact = session.get(StructureContact, data["structure_id"])
    if contact is None:
        contact = StructureContact(structure_id=data["structure_id"])
        session.add(contact)
    elif not event.supersedes(contact.last_sequence):
        return
    contact.name, contact.email = details["name"], details["email"]
    contact.last_event_at, contact.last_sequence = event.occurred_at, event.sequence
    session.flush()


def convention_signed(session: Session, event: Envelope) -> None:
    """Each granted post waits for a candidate from the signature; the final report falls due after the
    convention's end; the structure's standing becomes known."""
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
    open_posts(
        session,
        grant_id=data["convention_id"],
        first=1,
        last=data["posts"],
        structure_id=data["structure_id"],
        convention_id=data["convention_id"],
        legal_date=data["signed_on"],
        actor=ACTOR,
        reason=f"convention {data['reference']} signée le {data['signed_on'].isoformat()}",
    )
    publish_standings(session, data["signed_on"], [data["structure_id"]])


def convention_amended(session: Session, event: Envelope) -> None:
    """An avenant that adds posts opens their candidate presentations; one that takes posts back lifts
    the obligations of the posts still to fill. The contact may have changed."""
    data = event.data
    _contact(session, event)
    if session.get(ConventionCopy, data["convention_id"]) is None:
        return
    avenant = f"avenant n° {data['number']} du {data['signed_on'].isoformat()}"
    if data["posts"] > data["posts_before"]:
        # The added posts exist from the avenant's effective date and bind once it is signed: the
        # recruitment clock starts at the later of the two.
        open_posts(
            session,
            grant_id=data["amendment_id"],
            first=data["posts_before"] + 1,
            last=data["posts"],
            structure_id=data["structure_id"],
            convention_id=data["convention_id"],
            legal_date=max(data["signed_on"], data["effective_date"]),
            actor=ACTOR,
            reason=f"{avenant} : poste ajouté",
        )
    elif data["posts"] < data["posts_before"]:
        give_back_posts(
            session,
            data["convention_id"],
            data["posts_before"] - data["posts"],
            ACTOR,
            f"poste restitué par l'{avenant} ({data['posts_before']} → {data['posts']} postes)",
        )
    publish_standings(session, data["signed_on"], [data["structure_id"]])


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
            Obligation.kind.in_([kind.value for kind in _MOOT_WHEN_CONVENTION_ENDS]),
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
    candidate_presented_on_post(
        session,
        data["convention_id"],
        data["advisor_id"],
        ACTOR,
        f"candidat présenté le {data['presented_on'].isoformat()}",
    )
    publish_standings(session, data["presented_on"], [data["structure_id"]])


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
    """The contract fills a post; its clocks start at its signature: training entry, and equipment (due
    by the contract's first day under the rule in force on the signature)."""
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
                advisor_id=data["advisor_id"],
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
    contract_fills_post(
        session, data["convention_id"], data["contract_id"], data["advisor_id"], ACTOR, signed
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
            due=(
                legal.equipment_deadline(data["signed_on"], data["start_date"])
                if kind is ObligationKind.EQUIPMENT
                else None
            ),
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


_HANDLERS_ON_SESSIONS = {
    "convention.signed": convention_signed,
    "convention.amended": convention_amended,
    "convention.terminated": convention_ended,
    "convention.closed": convention_ended,
    "candidate.presented": candidate_presented,
    "candidate.selected": candidate_selected,
    "contract.signed": contract_signed,
    "contract.ended": contract_ended,
}


def _on_the_session(handler: Any) -> EventHandler:
    # Transitional: these handlers still take the session; the inbox hands them the unit of work.
    return lambda uow, event: handler(uow.session, event)


EVENT_HANDLERS: Mapping[str, EventHandler] = {
    name: _on_the_session(handler) for name, handler in _HANDLERS_ON_SESSIONS.items()
}
