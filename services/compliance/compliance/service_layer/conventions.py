"""What conventions' events change in compliance: obligations opened from the legal date of each case,
settled by the events that settle them. Applied in the inbox's transaction: these use cases never commit
(the inbox records the event and commits with them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from cnum_shared.core import legal
from compliance.adapters.orm import ContractCopy, ConventionCopy, Obligation, StructureContact
from compliance.domain.obligations import PENDING, ConventionStatus, ObligationEvent, ObligationKind
from compliance.service_layer.commands import (
    Contact,
    RecordCandidatePresented,
    RecordCandidateSelected,
    RecordContractEnded,
    RecordContractSigned,
    RecordConventionAmended,
    RecordConventionEnded,
    RecordConventionSigned,
)
from compliance.service_layer.obligations import move, natural_key, open_obligation, settle
from compliance.service_layer.standings import publish_standings
from compliance.service_layer.unit_of_work import UnitOfWork

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


def update_contact(uow: UnitOfWork, contact: Contact) -> None:
    """Whom to write to about the structure, unless an event later in the producer's order said it."""
    known = uow.structures.get(contact.structure_id)
    if known is None:
        uow.structures.add(
            StructureContact(
                structure_id=contact.structure_id,
                name=contact.name,
                email=contact.email,
                last_event_at=contact.occurred_at,
                last_sequence=contact.sequence,
            )
        )
    elif contact.sequence is not None and (
        known.last_sequence is None or contact.sequence > known.last_sequence
    ):
        known.name, known.email = contact.name, contact.email
        known.last_event_at, known.last_sequence = contact.occurred_at, contact.sequence


# --- Posts: each granted post is followed until a candidate is presented or a contract signed ---------


def update_contact_from_payments(
    uow: UnitOfWork, structure_id: uuid.UUID, name: str, email: str, occurred_at: datetime
) -> None:
    """The contact a payments event carries (a recovery order, a final statement): for a structure
    compliance may not have heard of from conventions yet, until conventions' next event says it
    (payments' events are not in conventions' order, hence no sequence)."""
    update_contact(
        uow,
        Contact(structure_id=structure_id, name=name, email=email, occurred_at=occurred_at, sequence=None),
    )


def _post_key(number: int) -> str:
    # Zero-padded so that the posts of one grant sort in their order (post 2 before post 10).
    return f"post-{number:03d}"


def _open_posts(
    uow: UnitOfWork,
    *,
    grant_id: uuid.UUID,
    first: int,
    last: int,
    structure_id: uuid.UUID,
    convention_id: uuid.UUID,
    legal_date: date,
    reason: str,
) -> None:
    """A candidate presentation for each post `first`..`last` that a convention or an avenant grants."""
    for number in range(first, last + 1):
        open_obligation(
            uow,
            ObligationKind.CANDIDATE_PRESENTATION,
            subject=grant_id,
            key_suffix=_post_key(number),
            structure_id=structure_id,
            convention_id=convention_id,
            legal_date=legal_date,
            actor=ACTOR,
            reason=f"{reason} (poste n° {number})",
        )


def _count_post(uow: UnitOfWork, obligation: Obligation, advisor_id: uuid.UUID, reason: str) -> None:
    move(uow, obligation, ObligationEvent.FULFIL, ACTOR, reason)
    if obligation.kind == ObligationKind.CANDIDATE_PRESENTATION.value:
        obligation.advisor_id = advisor_id


def _give_back_posts(uow: UnitOfWork, convention_id: uuid.UUID, count: int, reason: str) -> int:
    """An avenant takes `count` posts back: the posts still waiting for a first candidate are lifted
    first (the latest granted first), then vacated posts waiting for a replacement."""
    lifted = 0
    for kind in (ObligationKind.CANDIDATE_PRESENTATION, ObligationKind.POST_REFILL):
        for obligation in uow.obligations.pending_posts(convention_id, [kind], newest_first=True):
            if lifted == count:
                return lifted
            move(uow, obligation, ObligationEvent.WAIVE, ACTOR, reason)
            lifted += 1
    return lifted


# --- The events ----------------------------------------------------------------------------------------


def record_convention_signed(uow: UnitOfWork, command: RecordConventionSigned) -> None:
    """Each granted post waits for a candidate from the signature; the final report falls due after the
    convention's end; the structure's standing becomes known."""
    update_contact(uow, command.contact)
    if uow.conventions.get(command.convention_id) is None:
        uow.conventions.add(
            ConventionCopy(
                convention_id=command.convention_id,
                structure_id=command.structure_id,
                reference=command.reference,
                end_date=command.end_date,
                status=ConventionStatus.ACTIVE,
            )
        )
    open_obligation(
        uow,
        ObligationKind.FINAL_REPORT,
        subject=command.convention_id,
        structure_id=command.structure_id,
        convention_id=command.convention_id,
        legal_date=command.end_date,
        actor=ACTOR,
        reason=f"convention {command.reference} signée",
    )
    _open_posts(
        uow,
        grant_id=command.convention_id,
        first=1,
        last=command.posts,
        structure_id=command.structure_id,
        convention_id=command.convention_id,
        legal_date=command.signed_on,
        reason=f"convention {command.reference} signée le {command.signed_on.isoformat()}",
    )
    publish_standings(uow, command.signed_on, [command.structure_id])


def record_convention_amended(uow: UnitOfWork, command: RecordConventionAmended) -> None:
    """An avenant that adds posts opens their candidate presentations; one that takes posts back lifts
    the obligations of the posts still to fill. The contact may have changed."""
    update_contact(uow, command.contact)
    if uow.conventions.get(command.convention_id) is None:
        return
    avenant = f"avenant n° {command.number} du {command.signed_on.isoformat()}"
    if command.posts > command.posts_before:
        # The added posts exist from the avenant's effective date and bind once it is signed: the
        # recruitment clock starts at the later of the two.
        _open_posts(
            uow,
            grant_id=command.amendment_id,
            first=command.posts_before + 1,
            last=command.posts,
            structure_id=command.structure_id,
            convention_id=command.convention_id,
            legal_date=max(command.signed_on, command.effective_date),
            reason=f"{avenant} : poste ajouté",
        )
    elif command.posts < command.posts_before:
        _give_back_posts(
            uow,
            command.convention_id,
            command.posts_before - command.posts,
            f"poste restitué par l'{avenant} ({command.posts_before} → {command.posts} postes)",
        )
    publish_standings(uow, command.signed_on, [command.structure_id])


def record_convention_ended(uow: UnitOfWork, command: RecordConventionEnded) -> None:
    """Terminated or closed: the final report is due from that day; refilling a post no longer is."""
    update_contact(uow, command.contact)
    convention = uow.conventions.get(command.convention_id)
    if convention is None:
        return
    convention.status = ConventionStatus.TERMINATED if command.terminated else ConventionStatus.CLOSED
    settle(
        uow,
        uow.obligations.pending(convention_id=convention.convention_id, kinds=_MOOT_WHEN_CONVENTION_ENDS),
        ObligationEvent.WAIVE,
        ACTOR,
        f"convention {'résiliée' if command.terminated else 'clôturée'}",
    )
    if command.on < convention.end_date:
        report = uow.obligations.with_key(natural_key(ObligationKind.FINAL_REPORT, convention.convention_id))
        if report is not None and report.status in PENDING:
            report.due_on = legal.deadline(
                ObligationKind.FINAL_REPORT.value, command.on, tree=uow.parameters
            ).due_on(command.on)


def record_candidate_presented(uow: UnitOfWork, command: RecordCandidatePresented) -> None:
    """The selection falls due; the presentation settles the first post still waiting for one, an
    advisor counting once per convention (presented twice, or presented then hired, is one post)."""
    update_contact(uow, command.contact)
    open_obligation(
        uow,
        ObligationKind.CANDIDATE_SELECTION,
        subject=command.candidate_id,
        structure_id=command.structure_id,
        convention_id=command.convention_id,
        candidate_id=command.candidate_id,
        legal_date=command.presented_on,
        actor=ACTOR,
        reason="candidat présenté",
    )
    if not uow.obligations.count_presentations(command.convention_id, command.advisor_id):
        waiting = uow.obligations.pending_posts(
            command.convention_id, [ObligationKind.CANDIDATE_PRESENTATION]
        )
        if waiting:
            _count_post(
                uow,
                waiting[0],
                command.advisor_id,
                f"candidat présenté le {command.presented_on.isoformat()}",
            )
    publish_standings(uow, command.presented_on, [command.structure_id])


def record_candidate_selected(uow: UnitOfWork, command: RecordCandidateSelected) -> None:
    update_contact(uow, command.contact)
    settle(
        uow,
        uow.obligations.pending(
            candidate_id=command.candidate_id, kinds=[ObligationKind.CANDIDATE_SELECTION]
        ),
        ObligationEvent.FULFIL,
        ACTOR,
        f"candidat sélectionné le {command.selected_on.isoformat()}",
    )
    open_obligation(
        uow,
        ObligationKind.CONTRACT_SIGNATURE,
        subject=command.candidate_id,
        structure_id=command.structure_id,
        convention_id=command.convention_id,
        candidate_id=command.candidate_id,
        legal_date=command.selected_on,
        actor=ACTOR,
        reason="candidat sélectionné",
    )


def record_contract_signed(uow: UnitOfWork, command: RecordContractSigned) -> None:
    """The contract fills a post; its clocks start at its signature: training entry, and equipment (due
    by the contract's first day under the rule in force on the signature)."""
    update_contact(uow, command.contact)
    if uow.contracts.get(command.contract_id) is None:
        uow.contracts.add(
            ContractCopy(
                contract_id=command.contract_id,
                convention_id=command.convention_id,
                structure_id=command.structure_id,
                start_date=command.start_date,
                end_date=command.end_date,
                signed_on=command.signed_on,
                ended_on=None,
                advisor_id=command.advisor_id,
            )
        )
    signed = f"contrat signé le {command.signed_on.isoformat()}"
    settle(
        uow,
        uow.obligations.pending(
            convention_id=command.convention_id, kinds=[ObligationKind.CONTRACT_SIGNATURE]
        )[:1],
        ObligationEvent.FULFIL,
        ACTOR,
        signed,
    )
    _fill_post(uow, command, signed)
    for kind in (ObligationKind.TRAINING_ENTRY, ObligationKind.EQUIPMENT):
        open_obligation(
            uow,
            kind,
            subject=command.contract_id,
            structure_id=command.structure_id,
            convention_id=command.convention_id,
            contract_id=command.contract_id,
            legal_date=command.signed_on,
            actor=ACTOR,
            reason=signed,
            due=(
                legal.equipment_deadline(command.signed_on, command.start_date, tree=uow.parameters)
                if kind is ObligationKind.EQUIPMENT
                else None
            ),
        )
    publish_standings(uow, command.signed_on, [command.structure_id])


def _fill_post(uow: UnitOfWork, command: RecordContractSigned, reason: str) -> None:
    """A contract fills one post: the one its advisor's presentation already counted for, or else the
    post waiting longest among those never filled (no presentation yet) and those vacated (to refill)."""
    earlier_contracts = uow.contracts.count_of_advisor(
        command.convention_id, command.advisor_id, besides=command.contract_id
    )
    if uow.obligations.count_presentations(command.convention_id, command.advisor_id) > earlier_contracts:
        return  # the presented advisor is hired: that post was counted at the presentation
    waiting = uow.obligations.pending_posts(
        command.convention_id, [ObligationKind.CANDIDATE_PRESENTATION, ObligationKind.POST_REFILL]
    )
    if waiting:
        _count_post(uow, waiting[0], command.advisor_id, reason)


def record_contract_ended(uow: UnitOfWork, command: RecordContractEnded) -> None:
    """The post falls vacant: refill it (or give it back) in time; the contract's own steps are moot."""
    contract = uow.contracts.get(command.contract_id)
    if contract is None or contract.ended_on is not None:
        return
    contract.ended_on = command.ended_on
    settle(
        uow,
        uow.obligations.pending(contract_id=contract.contract_id, kinds=_MOOT_WHEN_CONTRACT_ENDS),
        ObligationEvent.WAIVE,
        ACTOR,
        f"contrat terminé le {command.ended_on.isoformat()}",
    )
    open_obligation(
        uow,
        ObligationKind.POST_REFILL,
        subject=contract.contract_id,
        structure_id=contract.structure_id,
        convention_id=contract.convention_id,
        contract_id=contract.contract_id,
        legal_date=command.ended_on,
        actor=ACTOR,
        reason=f"poste vacant depuis le {command.ended_on.isoformat()}",
    )
    publish_standings(uow, command.ended_on, [contract.structure_id])
