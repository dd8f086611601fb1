"""The one way a status moves: the table allows it or the change is refused (409); each change is logged."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from cnum_shared.core.errors import Conflict
from cnum_shared.core.state_machine import StateMachine, Transition, TransitionList, TransitionRefused

AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


class Status(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"


class Event(StrEnum):
    APPROVE = "approve"
    PAY = "pay"
    CANCEL = "cancel"


class OtherStatus(StrEnum):
    DRAFT = "draft"


TABLE = {
    (Status.DRAFT, Event.APPROVE): Status.APPROVED,
    (Status.DRAFT, Event.CANCEL): Status.CANCELLED,
    (Status.APPROVED, Event.PAY): Status.PAID,
    (Status.APPROVED, Event.CANCEL): Status.CANCELLED,
}
LABELS = {Status.DRAFT: "brouillon", Status.APPROVED: "approuvé", Status.PAID: "payé"}
MACHINE = StateMachine("tranche", Status, Event, TABLE, labels=LABELS)


@dataclass
class Thing:
    id: uuid.UUID
    status: object = None


def _thing(status=Status.DRAFT):
    return Thing(uuid.uuid4(), status)


def test_apply_moves_the_thing_and_logs_who_why_and_when():
    thing, log = _thing(), TransitionList()
    transition = MACHINE.apply(
        thing, Event.APPROVE, actor="officer-1", reason="pièces complètes", at=AT, log=log
    )
    assert thing.status is Status.APPROVED
    assert transition == Transition(
        machine="tranche",
        entity_id=thing.id,
        from_status="draft",
        to_status="approved",
        event="approve",
        actor="officer-1",
        reason="pièces complètes",
        at=AT,
    )
    assert log.transitions == [transition]


def test_apply_accepts_the_status_as_the_database_returns_it_a_plain_string():
    thing, log = _thing("approved"), TransitionList()
    MACHINE.apply(thing, Event.PAY, actor="finance", reason="", at=AT, log=log)
    assert thing.status is Status.PAID
    assert (log.transitions[0].from_status, log.transitions[0].to_status) == ("approved", "paid")


def test_a_change_the_table_does_not_allow_is_refused_in_french_and_nothing_changes_or_is_logged():
    thing, log = _thing(Status.DRAFT), TransitionList()
    with pytest.raises(TransitionRefused) as refused:
        MACHINE.apply(thing, Event.PAY, actor="finance", reason="", at=AT, log=log)
    error = refused.value
    message = "Action impossible : « pay » n'est pas permis sur un élément brouillon."
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.code == "invalid_transition"
    assert error.message == message
    assert error.errors == {"reasons": [{"code": "invalid_transition", "message": message}]}
    assert (error.machine, error.current, error.event) == ("tranche", "draft", "pay")
    assert thing.status is Status.DRAFT
    assert log.transitions == []


def test_a_state_without_label_is_named_by_its_value_in_the_refusal():
    with pytest.raises(TransitionRefused) as refused:
        MACHINE.next(Status.CANCELLED, Event.APPROVE)
    assert (
        refused.value.message == "Action impossible : « approve » n'est pas permis sur un élément cancelled."
    )


def test_a_machine_may_keep_its_own_refusal_wording():
    def refusal(state, event):
        return TransitionRefused("tranche_not_approved", f"La tranche est {LABELS[state]} : paiement refusé.")

    machine = StateMachine("tranche", Status, Event, TABLE, labels=LABELS, refusal=refusal)
    with pytest.raises(TransitionRefused) as refused:
        machine.apply(_thing(), Event.PAY, actor="finance", reason="", at=AT, log=TransitionList())
    assert refused.value.code == "tranche_not_approved"
    assert refused.value.message == "La tranche est brouillon : paiement refusé."
    assert refused.value.errors == {
        "reasons": [
            {"code": "tranche_not_approved", "message": "La tranche est brouillon : paiement refusé."}
        ]
    }


def test_start_writes_the_first_row_of_the_history():
    thing, log = _thing(status=None), TransitionList()
    transition = MACHINE.start(thing, Status.DRAFT, actor="legal", reason="création", at=AT, log=log)
    assert thing.status is Status.DRAFT
    assert (transition.from_status, transition.to_status, transition.event) == (None, "draft", "create")
    assert log.transitions == [transition]


def test_next_and_allows_read_the_table():
    assert MACHINE.next(Status.DRAFT, Event.CANCEL) is Status.CANCELLED
    assert MACHINE.next("approved", Event.PAY) is Status.PAID
    assert MACHINE.allows(Status.APPROVED, Event.CANCEL)
    assert not MACHINE.allows(Status.PAID, Event.CANCEL)
    assert MACHINE.label(Status.PAID) == "payé"
    assert MACHINE.label("cancelled") == "cancelled"


@pytest.mark.parametrize(
    "pair",
    [
        (OtherStatus.DRAFT, Event.APPROVE),
        ("draft", Event.APPROVE),
        (Status.DRAFT, "approve"),
    ],
    ids=["state-of-another-enum", "state-as-text", "event-as-text"],
)
def test_a_table_naming_an_unknown_state_or_event_is_refused_when_the_machine_is_built(pair):
    with pytest.raises(ValueError, match=r"^tranche: transitions name unknown states or events"):
        StateMachine(
            "tranche", Status, Event, {(Status.APPROVED, Event.PAY): Status.PAID, pair: Status.APPROVED}
        )


def test_a_table_leading_to_an_unknown_state_is_refused_when_the_machine_is_built():
    with pytest.raises(ValueError, match="unknown states or events"):
        StateMachine("tranche", Status, Event, {(Status.DRAFT, Event.PAY): "paid"})


def test_the_transition_list_keeps_every_change_and_answers_one_things_history():
    first, second, log = _thing(), _thing(), TransitionList()
    MACHINE.apply(first, Event.APPROVE, actor="a", reason="", at=AT, log=log)
    MACHINE.apply(second, Event.CANCEL, actor="b", reason="doublon", at=AT, log=log)
    MACHINE.apply(first, Event.PAY, actor="c", reason="", at=AT, log=log)
    assert len(log.transitions) == 3
    assert [t.event for t in log.of(first.id)] == ["approve", "pay"]
    assert [(t.to_status, t.reason) for t in log.of(second.id)] == [("cancelled", "doublon")]
    assert log.of(uuid.uuid4()) == []
