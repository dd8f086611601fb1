"""Obligations of host structures: their kinds, their states and the one table of allowed changes."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from cnum_shared.core.state_machine import StateMachine, TransitionRefused


class ObligationKind(StrEnum):
    CANDIDATE_PRESENTATION = "candidate_presentation"
    CANDIDATE_SELECTION = "candidate_selection"
    CONTRACT_SIGNATURE = "contract_signature"
    TRAINING_ENTRY = "training_entry"
    CERTIFICATION_EXAMS = "certification_exams"
    THEMATIC_MODULES = "thematic_modules"
    CONTINUING_TRAINING = "continuing_training"
    EQUIPMENT = "equipment"
    ACTIVITY_REPORTING = "activity_reporting"
    POST_REFILL = "post_refill"
    FINAL_REPORT = "final_report"


class ObligationStatus(StrEnum):
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    FULFILLED = "fulfilled"
    WAIVED = "waived"


class ConventionStatus(StrEnum):
    """The status of a convention as compliance keeps it (from conventions' events)."""

    ACTIVE = "active"
    TERMINATED = "terminated"
    CLOSED = "closed"


class ObligationEvent(StrEnum):
    COME_CLOSE = "come_close"  # the due-soon window opens
    LAPSE = "lapse"  # the due date passed
    FULFIL = "fulfil"
    WAIVE = "waive"
    EXTEND = "extend"  # a later due date, with a reason: back to open
    ESCALATE = "escalate"  # an officer brings the compliance officer in: the status stays


S, E = ObligationStatus, ObligationEvent
PENDING = frozenset({S.OPEN, S.DUE_SOON, S.OVERDUE})

TRANSITIONS: dict[tuple[ObligationStatus, ObligationEvent], ObligationStatus] = {
    (S.OPEN, E.COME_CLOSE): S.DUE_SOON,
    (S.OPEN, E.LAPSE): S.OVERDUE,
    (S.DUE_SOON, E.LAPSE): S.OVERDUE,
    **{(status, E.FULFIL): S.FULFILLED for status in PENDING},
    **{(status, E.WAIVE): S.WAIVED for status in PENDING},
    **{(status, E.EXTEND): S.OPEN for status in PENDING},
    **{(status, E.ESCALATE): status for status in PENDING},
}

LABELS = {
    ObligationKind.CANDIDATE_PRESENTATION: "Présenter un candidat sur le poste attribué",
    ObligationKind.CANDIDATE_SELECTION: "Sélectionner un candidat présenté",
    ObligationKind.CONTRACT_SIGNATURE: "Signer le contrat de travail du candidat retenu",
    ObligationKind.TRAINING_ENTRY: "Faire entrer le conseiller en formation initiale",
    ObligationKind.CERTIFICATION_EXAMS: "Présenter le conseiller à Pix et au CCP1",
    ObligationKind.THEMATIC_MODULES: "Faire suivre deux modules thématiques",
    ObligationKind.CONTINUING_TRAINING: "Faire suivre le module thématique annuel de formation continue",
    ObligationKind.EQUIPMENT: "Équiper le conseiller (ordinateur, téléphone, espace de travail)",
    ObligationKind.ACTIVITY_REPORTING: "Transmettre les comptes rendus d'activité du mois",
    ObligationKind.POST_REFILL: "Recruter sur le poste vacant ou le restituer",
    ObligationKind.FINAL_REPORT: "Justifier l'emploi de la subvention",
}


class ObligationConflict(TransitionRefused):
    """The change is not allowed from the obligation's state (a 409): it is already fulfilled or waived."""

    def __init__(self, current: Any, event: Any) -> None:
        closed = "remplie" if ObligationStatus(current) is S.FULFILLED else "levée"
        super().__init__(
            "obligation_closed",
            f"Obligation déjà {closed}.",
            machine="obligation",
            current=str(current),
            event=str(event),
        )
        # The answer has always been the message alone, without the list of reasons.
        self.errors = None


#: The one way an obligation's status moves; its history is kept in `obligation_history`.
OBLIGATIONS: StateMachine[ObligationStatus, ObligationEvent] = StateMachine(
    "obligation",
    ObligationStatus,
    ObligationEvent,
    TRANSITIONS,
    labels={
        ObligationStatus.OPEN: "ouverte",
        ObligationStatus.DUE_SOON: "échéance proche",
        ObligationStatus.OVERDUE: "en retard",
        ObligationStatus.FULFILLED: "remplie",
        ObligationStatus.WAIVED: "levée",
    },
    refusal=ObligationConflict,
)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
