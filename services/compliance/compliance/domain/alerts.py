"""Alert digests: pending until the SMTP server accepts them, then sent (never sent twice)."""

from __future__ import annotations

from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine


class AlertStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"


class AlertEvent(StrEnum):
    SEND = "send"  # the SMTP server accepted the message
    FAIL = "fail"  # it refused, or could not be reached: the digest waits for the next run


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
