"""Alerts: e-mails to a structure, pending until the SMTP server accepts them, then sent (never twice).

Three kinds share the machinery: the daily digest of obligations, the order to repay a recovery (ordre
de reversement) that payments issued, and the final statement (décompte final) of a convention that closing
left with money to pay to the structure or with nothing to settle.
"""

from __future__ import annotations

from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine


class AlertStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"


class AlertEvent(StrEnum):
    SEND = "send"  # the SMTP server accepted the message
    FAIL = "fail"  # it refused, or could not be reached: the digest waits for the next run


class AlertKind(StrEnum):
    """What an alert is: its template is named after it (templates/<kind>.txt.j2 and .html.j2)."""

    DIGEST = "digest"
    RECOVERY_ORDER = "recovery_order"
    FINAL_STATEMENT = "final_statement"


ALERT_KIND_LABELS = {
    AlertKind.DIGEST: "récapitulatif des obligations",
    AlertKind.RECOVERY_ORDER: "ordre de reversement",
    AlertKind.FINAL_STATEMENT: "décompte final",
}

#: The recoveries payments issues (cnum_shared.core.wire.RECOVERY_KINDS), as the order names its reason.
RECOVERY_REASONS = {
    "post_ended": "fin de poste",
    "regularisation": "avenant",
    "final_statement": "décompte final",
}


def alert_key(kind: AlertKind, subject: str) -> str:
    """What makes an alert unique: a structure's digest of a day, the order of one recovery, the final
    statement of one convention."""
    return f"{kind.value}:{subject}"


class AlertStep(StrEnum):
    """What an alert tells about an obligation (see `AlertItem`)."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    REMINDER_1 = "reminder_1"
    REMINDER_2 = "reminder_2"


ALERTS: StateMachine[AlertStatus, AlertEvent] = StateMachine(
    "alert",
    AlertStatus,
    AlertEvent,
    {
        (AlertStatus.PENDING, AlertEvent.SEND): AlertStatus.SENT,
        (AlertStatus.PENDING, AlertEvent.FAIL): AlertStatus.PENDING,
    },
    labels={AlertStatus.PENDING: "en attente d'envoi", AlertStatus.SENT: "envoyé"},
)
