"""The events payments consumes, applied by its handlers on the fake unit of work (the inbox commits)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cnum_shared.core.wire import Envelope
from payments.domain.clawback import RecoveryKind, RecoveryStatus
from payments.domain.tranches import TrancheKind, TrancheStatus
from payments.service_layer import queries, tranches
from payments.service_layer.commands import ApproveTranche, MarkDue, PayTranche
from payments.service_layer.event_handlers import EVENT_HANDLERS
from services.payments.tests.unit.fakes import a_clean_standing

START = date(2025, 1, 1)
STRUCTURE = {
    "name": "Médiathèque de Créteil",
    "kind": "public",
    "department": "94",
    "qpv_zrr": False,
    "email": "contact@example.org",
    "iban": "FR7630006000011234567890189",
    "bic": None,
}
_sequence = iter(range(1, 10_000))


def envelope(
    event_type: str, data: dict, producer: str = "conventions", sequence: int | None = None
) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=1,
        occurred_at=datetime(2025, 1, 1, 9, tzinfo=UTC),
        producer=producer,
        sequence=sequence if sequence is not None else next(_sequence),
        data=data,
    )


def handle(uow, event: Envelope) -> None:
    EVENT_HANDLERS[event.type](uow, event)


def schedule(amounts: list[str]) -> list[dict]:
    return [
        {"number": n, "amount": Decimal(a), "due_on": date(2025 + n - 1, 1, 1)}
        for n, a in enumerate(amounts, start=1)
    ]


PERIODS = [
    {
        "number": 1,
        "starts_on": START,
        "ends_on": date(2026, 12, 31),
        "months": 24,
        "amount_per_post": Decimal("25000.00"),
        "monthly_rate": Decimal("1041.67"),
    }
]


@pytest.fixture
def signed(uow):
    """`convention.signed`: one post, 25,000 € over 24 funded months, three tranches."""
    data = {
        "convention_id": uuid.uuid4(),
        "structure_id": uuid.uuid4(),
        "reference": "CNUM-2025-0042",
        "structure": STRUCTURE,
        "wave": "2025",
        "posts": 1,
        "start_date": START,
        "end_date": date(2026, 12, 31),
        "duration_months": 24,
        "funded_months": 24,
        "signed_on": START,
        "amount_per_post": Decimal("25000.00"),
        "total_amount": Decimal("25000.00"),
        "tranches": schedule(["10000.00", "10000.00", "5000.00"]),
        "funding_periods": PERIODS,
    }
    handle(uow, envelope("convention.signed", data))
    return data


def tranche(uow, data, number):
    return next(t for t in uow.tranches.of_convention(data["convention_id"]) if t.number == number)


def approve_and_pay_the_first(uow, data):
    structure = uow.structures.get(data["structure_id"])
    a_clean_standing(uow, structure)
    tranches.mark_due(uow, MarkDue(START))
    first = tranche(uow, data, 1)
    tranches.approve_tranche(uow, ApproveTranche(first.id, "alice", START))
    tranches.pay_tranche(uow, PayTranche(first.id, "bruno", START, "VIR-1", START))
    return first


def test_a_signed_convention_is_scheduled_as_it_states_once(uow, signed):
    scheduled = uow.tranches.of_convention(signed["convention_id"])

    assert [(t.number, t.amount, t.due_on, t.status) for t in scheduled] == [
        (1, Decimal("10000.00"), date(2025, 1, 1), TrancheStatus.SCHEDULED),
        (2, Decimal("10000.00"), date(2026, 1, 1), TrancheStatus.SCHEDULED),
        (3, Decimal("5000.00"), date(2027, 1, 1), TrancheStatus.SCHEDULED),
    ]
    # The structure was unknown: the convention's event carried enough to pay it.
    assert uow.structures.get(signed["structure_id"]).iban == STRUCTURE["iban"]
    [created] = uow.history.of(scheduled[0].id)
    assert (created.from_status, created.to_status, created.actor, created.reason) == (
        None,
        "scheduled",
        "conventions",
        "convention CNUM-2025-0042 signée",
    )
    handle(uow, envelope("convention.signed", signed))
    assert len(uow.tranches.of_convention(signed["convention_id"])) == 3


def regularisation(number: int, stands_for: str, paid: str, *, supplement="0", reduced="0", recover="0"):
    """What the conventions service states of a tranche it found paid (decision 0025)."""
    return {
        "number": number,
        "settled": "paid",
        "stands_for": Decimal(stands_for),
        "already_paid": Decimal(paid),
        "supplement": Decimal(supplement),
        "supplement_reduced": Decimal(reduced),
        "to_recover": Decimal(recover),
    }


def amended(number: int, amounts: list[str], signed_on: date, regularisations=None) -> dict:
    return {
        "regularisations": regularisations,
        "amendment_id": uuid.uuid4(),
        "number": number,
        "posts_before": 1,
        "posts": 1,
        "effective_date": signed_on,
        "signed_on": signed_on,
        "reason": "avenant",
        "total_amount": sum((Decimal(a) for a in amounts), Decimal(0)),
        "tranches": schedule(amounts),
        "funding_periods": PERIODS,
    }


def test_an_avenant_reshapes_unpaid_tranches_and_books_the_rest_as_regularisations(uow, signed):
    first = approve_and_pay_the_first(uow, signed)
    base = {key: signed[key] for key in ("convention_id", "structure_id", "reference", "structure")}

    # Avenant 1: tranche 1 (paid 10,000) now states 12,000, tranche 2 states 11,000; the avenant states
    # 12,000 − 10,000 = 2,000 more for tranche 1.
    handle(
        uow,
        envelope(
            "convention.amended",
            {
                **base,
                **amended(
                    1,
                    ["12000.00", "11000.00", "5000.00"],
                    date(2025, 3, 1),
                    [regularisation(1, "10000.00", "10000.00", supplement="2000.00")],
                ),
            },
        ),
    )

    assert (first.amount, first.status) == (Decimal("10000.00"), TrancheStatus.PAID)
    assert tranche(uow, signed, 2).amount == Decimal("11000.00")
    line = tranche(uow, signed, 4)
    expected_supplement = Decimal("12000.00") - Decimal("10000.00")
    assert (line.kind, line.regularises, line.amount, line.due_on, line.status) == (
        TrancheKind.REGULARISATION,
        1,
        expected_supplement,
        date(2025, 3, 1),
        TrancheStatus.SCHEDULED,
    )

    # Avenant 2: tranche 1 now states 9,000: it stands for 10,000 paid + 2,000 supplement = 12,000, so
    # 3,000 less: the supplement not yet approved absorbs 2,000 (and is cancelled), 1,000 is recovered.
    handle(
        uow,
        envelope(
            "convention.amended",
            {
                **base,
                **amended(
                    2,
                    ["9000.00", "11000.00", "5000.00"],
                    date(2025, 4, 1),
                    [regularisation(1, "12000.00", "10000.00", reduced="2000.00", recover="1000.00")],
                ),
            },
        ),
    )

    stands_for = Decimal("10000.00") + expected_supplement
    owed_back = stands_for - Decimal("9000.00") - expected_supplement
    assert (line.amount, line.status) == (Decimal(0), TrancheStatus.CANCELLED)
    [recovery] = uow.recoveries.of_convention(signed["convention_id"])
    assert (recovery.kind, recovery.status, recovery.amount, recovery.tranche_number) == (
        RecoveryKind.REGULARISATION,
        RecoveryStatus.ISSUED,
        owed_back,
        1,
    )
    [created] = uow.history.of(recovery.id)
    assert (created.machine, created.to_status) == ("recovery", "issued")
    balance = queries.balance(uow, signed["convention_id"])
    assert (balance.paid, balance.recoverable) == (Decimal("10000.00"), owed_back)


def test_an_avenant_that_assumed_a_paid_tranche_unsettled_books_nothing_and_flags_it(uow, signed):
    """Tranche 1 was paid after the avenant was drawn up (conventions did not know): the avenant states
    12,000 and no regularisation. Payments invents no supplement; the discrepancy is in the history."""
    first = approve_and_pay_the_first(uow, signed)
    base = {key: signed[key] for key in ("convention_id", "structure_id", "reference", "structure")}

    handle(
        uow,
        envelope(
            "convention.amended",
            {**base, **amended(1, ["12000.00", "11000.00", "5000.00"], date(2025, 3, 1), [])},
        ),
    )

    assert (first.amount, first.status) == (Decimal("10000.00"), TrancheStatus.PAID)
    assert len(uow.tranches.of_convention(signed["convention_id"])) == 3  # no supplementary line
    assert uow.recoveries.of_convention(signed["convention_id"]) == []
    flagged = uow.history.of(first.id)[-1]
    assert flagged.event == "discrepancy"
    # 12,000 signed − 10,000 paid = 2,000 left unregularised, named in French.
    assert "écart de 2\u202f000,00\xa0€ non régularisé" in flagged.reason


def test_a_terminated_convention_cancels_its_unpaid_tranches(uow, signed):
    first = approve_and_pay_the_first(uow, signed)
    base = {key: signed[key] for key in ("convention_id", "structure_id", "reference", "structure")}

    handle(uow, envelope("convention.terminated", {**base, "on": date(2025, 6, 1), "reason": "fermeture"}))

    assert first.status == TrancheStatus.PAID
    assert [tranche(uow, signed, n).status for n in (2, 3)] == [TrancheStatus.CANCELLED] * 2
    assert uow.history.of(tranche(uow, signed, 2).id)[-1].reason == "convention résiliée : fermeture"
    assert uow.conventions.get(signed["convention_id"]).status == "terminated"


def contract(signed, start, salary="1900.00"):
    return {
        "contract_id": uuid.uuid4(),
        "convention_id": signed["convention_id"],
        "structure_id": signed["structure_id"],
        "advisor_id": uuid.uuid4(),
        "start_date": start,
        "end_date": None,
        "signed_on": start,
        "gross_monthly_salary": Decimal(salary),
    }


def test_a_post_ended_early_owes_back_what_was_paid_beyond_its_months_until_refilled(uow, signed):
    approve_and_pay_the_first(uow, signed)
    post = contract(signed, START)
    handle(uow, envelope("contract.signed", post))

    handle(
        uow,
        envelope(
            "contract.ended",
            {"contract_id": post["contract_id"], "ended_on": date(2025, 3, 15), "reason": "démission"},
        ),
    )

    # DESIGN §4: each month started (January, February, March) earns 25,000 ÷ 24; paid for the post is
    # what was paid ÷ posts; recoverable = max(0, paid − earned).
    earned = (Decimal("25000.00") * 3 / 24).quantize(Decimal("0.01"))
    [recovery] = uow.recoveries.of_convention(signed["convention_id"])
    assert (recovery.kind, recovery.status, recovery.months_started) == (
        RecoveryKind.POST_ENDED,
        RecoveryStatus.PROVISIONAL,
        3,
    )
    assert (recovery.earned, recovery.paid_per_post, recovery.amount) == (
        earned,
        Decimal("10000.00"),
        Decimal("10000.00") - earned,
    )
    assert recovery.refill_deadline > date(2025, 3, 15)

    # A new contract on the convention before the deadline: nothing is owed back.
    handle(uow, envelope("contract.signed", contract(signed, date(2025, 4, 1))))

    assert recovery.status == RecoveryStatus.CANCELLED
    assert [(t.from_status, t.to_status) for t in uow.history.of(recovery.id)] == [
        (None, "provisional"),
        ("provisional", "cancelled"),
    ]
    assert queries.balance(uow, signed["convention_id"]).recoverable == Decimal(0)


def test_a_salary_is_checked_against_the_smic_when_signed(uow, signed):
    post = contract(signed, START, salary="1000.00")

    handle(uow, envelope("contract.signed", post))

    [check] = uow.smic_checks.rows
    assert (check.trigger, check.checked_on, check.passed) == ("contract_signed", START, False)


def test_an_older_standing_never_overwrites_a_newer_one(uow, signed):
    def standing(blocking, sequence):
        data = {"structure_id": signed["structure_id"], "blocking": blocking, "overdue": [], "as_of": START}
        return envelope("structure.standing_changed", data, producer="compliance", sequence=sequence)

    handle(uow, standing(True, 5))
    handle(uow, standing(False, 4))

    assert uow.standings.get(signed["structure_id"]).blocking is True
