"""The state machines of conventions, avenants and bank-details changes, on their own (pure)."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from cnum_shared.core.state_machine import TransitionList, TransitionRefused
from conventions.domain.conventions import (
    AMENDMENT_MACHINE,
    CONVENTION_MACHINE,
    AmendmentAction,
    AmendmentStatus,
    ConventionAction,
    ConventionStatus,
)
from conventions.domain.structures import BANK_DETAILS_MACHINE, BankDetailsAction, BankDetailsStatus

AT = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
S, A = ConventionStatus, ConventionAction


@dataclass
class Thing:
    status: object
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [
        (S.DRAFT, A.SIGN, S.SIGNED),
        (S.SIGNED, A.AMEND, S.AMENDED),
        (S.AMENDED, A.AMEND, S.AMENDED),
        (S.SIGNED, A.CLOSE, S.CLOSED),
        (S.AMENDED, A.CLOSE, S.CLOSED),
        (S.SIGNED, A.TERMINATE, S.TERMINATED),
        (S.AMENDED, A.TERMINATE, S.TERMINATED),
    ],
)
def test_a_convention_moves_only_along_its_table_and_each_move_is_logged(before, action, after):
    log = TransitionList()
    convention = Thing(before)

    CONVENTION_MACHINE.apply(convention, action, actor="legal-1", reason="r", at=AT, log=log)

    assert convention.status is after
    [transition] = log.transitions
    assert (transition.machine, transition.from_status, transition.to_status, transition.event) == (
        "convention",
        before.value,
        after.value,
        action.value,
    )


@pytest.mark.parametrize(
    ("before", "action", "message"),
    [
        (S.SIGNED, A.SIGN, "Impossible de signer une convention signée."),
        (S.DRAFT, A.AMEND, "Impossible de modifier par avenant une convention en projet."),
        (S.CLOSED, A.TERMINATE, "Impossible de résilier une convention clôturée."),
        (S.TERMINATED, A.CLOSE, "Impossible de clôturer une convention résiliée."),
    ],
)
def test_a_refused_move_is_a_409_with_the_message_alone(before, action, message):
    log = TransitionList()
    convention = Thing(before)

    with pytest.raises(TransitionRefused) as refused:
        CONVENTION_MACHINE.apply(convention, action, actor="legal-1", reason="r", at=AT, log=log)

    assert (refused.value.status, refused.value.message, refused.value.errors) == (409, message, None)
    assert convention.status is before
    assert log.transitions == []


def test_closed_and_terminated_conventions_move_no_more():
    for end in (S.CLOSED, S.TERMINATED):
        assert not any(CONVENTION_MACHINE.allows(end, action) for action in A)


def test_an_avenant_and_a_bank_details_change_move_once():
    assert AMENDMENT_MACHINE.next(AmendmentStatus.DRAFT, AmendmentAction.SIGN) is AmendmentStatus.SIGNED
    assert not AMENDMENT_MACHINE.allows(AmendmentStatus.SIGNED, AmendmentAction.SIGN)
    assert BANK_DETAILS_MACHINE.next(BankDetailsStatus.PENDING, BankDetailsAction.CONFIRM) is (
        BankDetailsStatus.CONFIRMED
    )
    with pytest.raises(TransitionRefused) as refused:
        BANK_DETAILS_MACHINE.next(BankDetailsStatus.CONFIRMED, BankDetailsAction.CONFIRM)
    assert refused.value.message == "Ce changement de coordonnées bancaires est déjà confirmé."
