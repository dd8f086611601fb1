"""Closing runs: the closing of every convention whose funding ends in a period (issue 18, decision 0035).

A closing run is a background run (domain/background_runs.py) over the conventions signed (or amended, or
already closed) whose end date falls in the period. Each is closed at its end date, in its own
transaction; one that has not reached its end yet is left as it is (« pas encore échue »), one already
closed is counted so. The figures of what closing settled are payments' (its `final_statement.settled`),
never recomputed here: `summarise` only counts and adds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.errors import Invalid
from cnum_shared.core.money import format_date_fr
from conventions.domain.background_runs import run_machine
from conventions.domain.conventions import ConventionStatus


class ClosingOutcome(StrEnum):
    """What became of a convention of the run that went through."""

    CLOSED = "closed"
    ALREADY_CLOSED = "already_closed"
    NOT_ENDED = "not_ended"


OUTCOME_LABELS = {
    ClosingOutcome.CLOSED: "clôturée",
    ClosingOutcome.ALREADY_CLOSED: "déjà clôturée",
    ClosingOutcome.NOT_ENDED: "pas encore échue",
}

#: What closing booked, in the summary's words.
SETTLEMENT_LABELS = {"payment": "à payer", "recovery": "à reverser", "": "rien"}

#: The reason each closing states (the convention's `end_reason` and its history).
CLOSING_REASON = "clôture de fin de financement"

#: The conventions a run selects: those that may be closed, and those closed already (their statement goes
#: in the archive too). Terminated ones were settled otherwise, drafts were never signed.
SELECTED_STATUSES = (ConventionStatus.SIGNED, ConventionStatus.AMENDED, ConventionStatus.CLOSED)

#: A run is relaunched by asking for its period again (a second run would do the same work).
CLOSING_RUN = run_machine("closing_run", relaunched=True)

#: The longest period a run covers: the programme's conventions all end within a few years.
MAX_PERIOD_DAYS = 5 * 366


class InvalidClosingRun(Invalid):
    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Clôture invalide.", errors={"json": problems})
        self.problems = problems


def check_period(funding_ends_from: date, funding_ends_to: date) -> None:
    """The period is a span of end dates, first day to last day included."""
    if funding_ends_to < funding_ends_from:
        raise InvalidClosingRun(
            {
                "funding_ends_to": [
                    f"La fin de la période ({format_date_fr(funding_ends_to)}) précède son début "
                    f"({format_date_fr(funding_ends_from)})."
                ]
            }
        )
    if (funding_ends_to - funding_ends_from).days > MAX_PERIOD_DAYS:
        raise InvalidClosingRun(
            {"funding_ends_to": ["Une clôture couvre au plus cinq ans de fins de financement."]}
        )


def outcome_without_closing(
    status: ConventionStatus | str, end_date: date, today: date
) -> ClosingOutcome | None:
    """What becomes of a convention without closing it (already closed, or its end not reached yet), or
    None when it is to be closed now."""
    if ConventionStatus(status) is ConventionStatus.CLOSED:
        return ClosingOutcome.ALREADY_CLOSED
    if end_date > today:
        return ClosingOutcome.NOT_ENDED
    return None


@dataclass(frozen=True)
class Settled:
    """What closing booked for one convention, as payments' statement says: a payment (`payment`), a
    recovery (`recovery`) or nothing (None), and its amount."""

    kind: str | None
    amount: Decimal


@dataclass(frozen=True)
class ClosingSummary:
    """How many conventions closing left to pay, to recover or with nothing to settle, and the sums."""

    to_pay: int
    to_pay_amount: Decimal
    to_recover: int
    to_recover_amount: Decimal
    nothing: int
    #: Statements expected (conventions closed or already closed) that have not arrived yet.
    awaited: int


def summarise(statements: Iterable[Settled], expected: int) -> ClosingSummary:
    """Count and add the statements received; `expected` is how many the run waits for."""
    to_pay, to_recover, nothing = 0, 0, 0
    to_pay_amount, to_recover_amount = Decimal("0.00"), Decimal("0.00")
    received = 0
    for statement in statements:
        received += 1
        if statement.kind == "payment":
            to_pay += 1
            to_pay_amount += statement.amount
        elif statement.kind == "recovery":
            to_recover += 1
            to_recover_amount += statement.amount
        else:
            nothing += 1
    return ClosingSummary(
        to_pay, to_pay_amount, to_recover, to_recover_amount, nothing, awaited=max(expected - received, 0)
    )
