"""The obligations' and the alerts' state machines, and the month arithmetic of the scan (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cnum_shared.core.state_machine import TransitionList, TransitionRefused
from compliance.domain.alerts import ALERTS, AlertEvent, AlertStatus
from compliance.domain.obligations import (
    OBLIGATIONS,
    ObligationConflict,
    ObligationEvent,
    ObligationStatus,
    month_start,
    next_month,
)

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
PENDING = (ObligationStatus.OPEN, ObligationStatus.DUE_SOON, ObligationStatus.OVERDUE)


@dataclass
class Thing:
    id: uuid.UUID
    status: Any


def _moved(status: ObligationStatus, event: ObligationEvent) -> tuple[Thing, TransitionList]:
    thing, log = Thing(uuid.uuid4(), status), TransitionList()
    OBLIGATIONS.apply(thing, event, actor="agent", reason="parce que", at=AT, log=log)
    return thing, log


@pytest.mark.parametrize("status", PENDING)
def test_a_pending_obligation_is_fulfilled_waived_extended_or_escalated(status):
    assert _moved(status, ObligationEvent.FULFIL)[0].status is ObligationStatus.FULFILLED
    assert _moved(status, ObligationEvent.WAIVE)[0].status is ObligationStatus.WAIVED
    # An extension gives a new due date: back to open, the scan moves it again.
    assert _moved(status, ObligationEvent.EXTEND)[0].status is ObligationStatus.OPEN
    # An escalation brings the compliance officer in and leaves the status as it was.
    assert _moved(status, ObligationEvent.ESCALATE)[0].status is status


def test_the_calendar_moves_open_to_due_soon_to_overdue_and_never_back():
    assert _moved(ObligationStatus.OPEN, ObligationEvent.COME_CLOSE)[0].status is ObligationStatus.DUE_SOON
    assert _moved(ObligationStatus.OPEN, ObligationEvent.LAPSE)[0].status is ObligationStatus.OVERDUE
    assert _moved(ObligationStatus.DUE_SOON, ObligationEvent.LAPSE)[0].status is ObligationStatus.OVERDUE
    for status, event in (
        (ObligationStatus.DUE_SOON, ObligationEvent.COME_CLOSE),
        (ObligationStatus.OVERDUE, ObligationEvent.COME_CLOSE),
        (ObligationStatus.OVERDUE, ObligationEvent.LAPSE),
    ):
        assert not OBLIGATIONS.allows(status, event)


def test_each_change_is_logged_with_who_why_and_when():
    thing, log = _moved(ObligationStatus.OVERDUE, ObligationEvent.FULFIL)
    [transition] = log.of(thing.id)
    assert (transition.machine, transition.from_status, transition.to_status, transition.event) == (
        "obligation",
        "overdue",
        "fulfilled",
        "fulfil",
    )
    assert (transition.actor, transition.reason, transition.at) == ("agent", "parce que", AT)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ObligationStatus.FULFILLED, "Obligation déjà remplie."),
        (ObligationStatus.WAIVED, "Obligation déjà levée."),
    ],
)
@pytest.mark.parametrize("event", list(ObligationEvent))
def test_a_closed_obligation_refuses_every_change_with_the_409_it_always_had(status, message, event):
    thing, log = Thing(uuid.uuid4(), status), TransitionList()
    with pytest.raises(ObligationConflict) as refused:
        OBLIGATIONS.apply(thing, event, actor="agent", reason="r", at=AT, log=log)
    assert isinstance(refused.value, TransitionRefused)
    assert (refused.value.status, refused.value.message, refused.value.errors) == (409, message, None)
    assert thing.status is status and log.transitions == []


def test_an_alert_is_pending_until_the_server_accepts_it_then_sent_once():
    alert, log = Thing(uuid.uuid4(), AlertStatus.PENDING), TransitionList()
    ALERTS.apply(alert, AlertEvent.FAIL, actor="cnum", reason="SMTP injoignable", at=AT, log=log)
    assert alert.status is AlertStatus.PENDING
    ALERTS.apply(alert, AlertEvent.SEND, actor="cnum", reason="envoyé", at=AT, log=log)
    assert alert.status is AlertStatus.SENT
    assert [(t.machine, t.from_status, t.to_status) for t in log.of(alert.id)] == [
        ("alert", "pending", "pending"),
        ("alert", "pending", "sent"),
    ]
    for event in AlertEvent:
        with pytest.raises(TransitionRefused):
            ALERTS.apply(alert, event, actor="cnum", reason="encore", at=AT, log=log)


@pytest.mark.parametrize(
    ("day", "start", "following"),
    [
        (date(2026, 1, 31), date(2026, 1, 1), date(2026, 2, 1)),
        (date(2024, 2, 29), date(2024, 2, 1), date(2024, 3, 1)),
        (date(2025, 12, 15), date(2025, 12, 1), date(2026, 1, 1)),
    ],
)
def test_months_of_the_scan(day, start, following):
    assert month_start(day) == start
    assert next_month(start) == following
