"""Subsidy conventions: their terms from the dated parameters, their states, and their avenants.

Pure rules: dates and parameter trees come in as arguments; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core import legal
from cnum_shared.core.dates import add_months, months_started
from cnum_shared.core.errors import Conflict, Invalid
from cnum_shared.core.legal import PlannedTranche, StructureKind, Wave
from cnum_shared.core.money import format_date_fr, quantize_cents
from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.state_machine import StateMachine, TransitionRefused
from cnum_shared.core.territories import Territory

#: DESIGN §4: a convention lasts at most 36 months, whatever its wave.
MAX_DURATION_MONTHS = 36


class ConventionStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    AMENDED = "amended"
    CLOSED = "closed"
    TERMINATED = "terminated"


class ConventionAction(StrEnum):
    SIGN = "sign"
    AMEND = "amend"
    CLOSE = "close"
    TERMINATE = "terminate"


#: The one table of the convention's life: (state, action) → next state.
TRANSITIONS: dict[tuple[ConventionStatus, ConventionAction], ConventionStatus] = {
    (ConventionStatus.DRAFT, ConventionAction.SIGN): ConventionStatus.SIGNED,
    (ConventionStatus.SIGNED, ConventionAction.AMEND): ConventionStatus.AMENDED,
    (ConventionStatus.AMENDED, ConventionAction.AMEND): ConventionStatus.AMENDED,
    (ConventionStatus.SIGNED, ConventionAction.CLOSE): ConventionStatus.CLOSED,
    (ConventionStatus.AMENDED, ConventionAction.CLOSE): ConventionStatus.CLOSED,
    (ConventionStatus.SIGNED, ConventionAction.TERMINATE): ConventionStatus.TERMINATED,
    (ConventionStatus.AMENDED, ConventionAction.TERMINATE): ConventionStatus.TERMINATED,
}

_STATUS_LABELS = {
    ConventionStatus.DRAFT: "en projet",
    ConventionStatus.SIGNED: "signée",
    ConventionStatus.AMENDED: "modifiée par avenant",
    ConventionStatus.CLOSED: "clôturée",
    ConventionStatus.TERMINATED: "résiliée",
}
_ACTION_LABELS = {
    ConventionAction.SIGN: "signer",
    ConventionAction.AMEND: "modifier par avenant",
    ConventionAction.CLOSE: "clôturer",
    ConventionAction.TERMINATE: "résilier",
}


class ConventionConflict(Conflict):
    """The action is not possible in the convention's state (a 409, the message alone)."""


class InvalidConvention(Invalid):
    """The terms break a rule (a 422); `problems` maps each field to its French messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Convention invalide.", errors={"json": problems})
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in self.problems.items())


def _refusal(current: ConventionStatus, action: ConventionAction) -> TransitionRefused:
    refused = TransitionRefused(
        "convention_state",
        f"Impossible de {_ACTION_LABELS[action]} une convention {_STATUS_LABELS[ConventionStatus(current)]}.",
        machine="convention",
        current=str(current),
        event=str(action),
    )
    refused.errors = None  # the API has always answered the message alone
    return refused


#: The convention's life: every change of its status goes through it and leaves a history row.
CONVENTION_MACHINE: StateMachine[ConventionStatus, ConventionAction] = StateMachine(
    "convention", ConventionStatus, ConventionAction, TRANSITIONS, labels=_STATUS_LABELS, refusal=_refusal
)


class AmendmentStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class AmendmentAction(StrEnum):
    SIGN = "sign"


def _amendment_refusal(current: AmendmentStatus, action: AmendmentAction) -> TransitionRefused:
    refused = TransitionRefused(
        "amendment_state", "L'avenant est déjà signé.", machine="amendment", current=str(current)
    )
    refused.errors = None
    return refused


#: A convention avenant is drafted, then signed (once).
AMENDMENT_MACHINE: StateMachine[AmendmentStatus, AmendmentAction] = StateMachine(
    "amendment",
    AmendmentStatus,
    AmendmentAction,
    {(AmendmentStatus.DRAFT, AmendmentAction.SIGN): AmendmentStatus.SIGNED},
    labels={AmendmentStatus.DRAFT: "en projet", AmendmentStatus.SIGNED: "signé"},
    refusal=_amendment_refusal,
)


@dataclass(frozen=True)
class ConventionTerms:
    """What a convention commits to, computed from the parameters in force at its start date."""

    wave: Wave
    posts: int
    start_date: date
    end_date: date
    duration_months: int
    funded_months: int
    amount_per_post: Decimal
    total_amount: Decimal
    #: The tranches of one post, as the parameters plan them (the kernel's `PlannedTranche`).
    plan: tuple[PlannedTranche, ...]
    #: The funded periods of one post (article 6: the clawback's monthly rates).
    funding_periods: tuple[legal.FundingPeriod, ...]

    def schedule(self, signed_on: date | None) -> list[tuple[int, date | None, Decimal]]:
        """(number, due_on, amount) of each tranche for the convention's posts: tranche 1 is due on the
        signing date (None before it), the others by their offset from the start date."""
        return [
            (
                tranche.number,
                signed_on if tranche.number == 1 else add_months(self.start_date, tranche.offset_months),
                tranche.amount_for(self.posts),
            )
            for tranche in self.plan
        ]


def end_date_of(start_date: date, duration_months: int) -> date:
    """The last day of the convention: 1 March + 24 months ends on 28 or 29 February two years on."""
    return add_months(start_date, duration_months) - timedelta(days=1)


def convention_terms(
    *,
    wave: Wave,
    kind: StructureKind,
    territory: Territory,
    qpv_zrr: bool,
    posts: int,
    start_date: date,
    duration_months: int,
    tree: ParameterNode,
) -> ConventionTerms:
    """The amount per post, total and tranches of a convention, or InvalidConvention in French."""
    problems: dict[str, list[str]] = {}
    if posts < 1:
        problems["posts"] = ["Au moins un poste."]
    if not 1 <= duration_months <= MAX_DURATION_MONTHS:
        problems["duration_months"] = [f"Une convention dure au plus {MAX_DURATION_MONTHS} mois."]
    if problems:
        raise InvalidConvention(problems)
    try:
        plan = legal.tranche_plan(wave, kind, territory, duration_months, qpv_zrr, start_date, tree=tree)
        funded = legal.funded_months(wave, kind, duration_months, start_date, tree=tree)
        per_post = legal.subsidy_per_post(
            wave, kind, territory, duration_months, qpv_zrr, start_date, tree=tree
        )
        periods = legal.funding_periods(
            wave, kind, territory, duration_months, qpv_zrr, start_date, tree=tree
        )
    except legal.OutsideWave as error:
        raise InvalidConvention({"start_date": [str(error)]}) from None
    except legal.InvalidDuration as error:
        raise InvalidConvention({"duration_months": [str(error)]}) from None
    return ConventionTerms(
        wave=Wave(wave),
        posts=posts,
        start_date=start_date,
        end_date=end_date_of(start_date, duration_months),
        duration_months=duration_months,
        funded_months=funded,
        amount_per_post=per_post,
        total_amount=quantize_cents(per_post * posts),
        plan=tuple(plan),
        funding_periods=tuple(periods),
    )


def amended_total(
    *,
    total_before: Decimal,
    funding_periods: Sequence[legal.FundingPeriod],
    start_date: date,
    posts_before: int,
    posts_after: int,
    effective_date: date,
) -> Decimal:
    """DESIGN §4: Σ over periods of posts × amount per post × months ÷ months of the period.

    The posts change from the effective date: the months of the convention started before it keep the
    posts they had (the month in which a mid-month avenant takes effect counts at the old posts), every
    later month of each funded period counts the new posts at that period's amount (renewal: each
    convention year at its own amount). Earlier avenants are already in `total_before`.
    """
    first_changed = months_started(start_date, effective_date - timedelta(days=1)) + 1
    change = sum(
        (
            period.amount_per_post
            * period.overlap(first_changed, period.offset_months + period.months)
            / period.months
            for period in funding_periods
        ),
        Decimal(0),
    )
    return quantize_cents(total_before + (posts_after - posts_before) * change)


def revised_tranches(
    tranches: Sequence[tuple[int, date | None, Decimal]], new_total: Decimal, effective_date: date
) -> dict[int, Decimal]:
    """The tranches' amounts after an avenant; they always add up to `new_total` (DESIGN §4).

    The change of total is spread over the tranches due on or after the effective date in proportion to
    their amounts, the last taking the remainder; when none is left, the last tranche carries it. A
    reduction those tranches cannot absorb (a tranche never goes below zero) is taken from the earlier
    tranches, the latest first: payments then books what was already paid of them as a recovery.
    """
    current = {number: amount for number, _, amount in tranches}
    difference = new_total - sum(current.values(), Decimal(0))
    open_numbers = [
        number for number, due_on, _ in tranches if due_on is None or due_on >= effective_date
    ] or [tranches[-1][0]]
    open_total = sum((current[number] for number in open_numbers), Decimal(0))
    revised = dict(current)
    if difference < 0 and -difference > open_total:
        # Everything still to fall due goes to zero, and the rest comes off the earlier tranches.
        rest = -difference - open_total
        for number in open_numbers:
            revised[number] = Decimal(0)
        for number in sorted((n for n in current if n not in open_numbers), reverse=True):
            taken = min(rest, revised[number])
            revised[number] -= taken
            rest -= taken
        return revised
    spread = Decimal(0)
    for index, number in enumerate(open_numbers):
        if index == len(open_numbers) - 1:
            share = difference - spread
        elif open_total:
            share = quantize_cents(difference * current[number] / open_total)
        else:
            share = quantize_cents(difference / len(open_numbers))
        spread += share
        revised[number] = current[number] + share
    return revised


def check_amendment(
    *,
    start_date: date,
    end_date: date,
    signed_on: date | None,
    effective_date: date,
    posts: int,
    current_posts: int,
) -> None:
    """An avenant changes the posts from a date inside the convention, after its signature."""
    problems: dict[str, list[str]] = {}
    if posts < 0:
        problems["posts"] = ["Le nombre de postes ne peut pas être négatif."]
    elif posts == current_posts:
        problems["posts"] = [f"La convention compte déjà {current_posts} poste(s)."]
    if not start_date <= effective_date <= end_date:
        problems["effective_date"] = [
            f"La date d'effet doit être comprise entre le {format_date_fr(start_date)} "
            f"et le {format_date_fr(end_date)}."
        ]
    elif signed_on is not None and effective_date < signed_on:
        problems["effective_date"] = [
            "La date d'effet ne peut pas précéder la signature de la convention "
            f"({format_date_fr(signed_on)})."
        ]
    if problems:
        raise InvalidConvention(problems)


class SigningFrozen(Invalid):
    """The funding freeze forbids this signature (a 422 naming the rule, its date and its source)."""

    def __init__(self, frozen: legal.FundingFrozen) -> None:
        message = str(frozen)
        super().__init__(
            message,
            code="funding_freeze",
            errors={
                "rules": [{"code": "funding_freeze", "message": message}],
                "funding_freeze_from": frozen.since.isoformat(),
                "reference": frozen.reference,
            },
        )
        self.frozen = frozen


def check_funding_freeze(what: str, signed_on: date, *, tree: ParameterNode) -> None:
    """SigningFrozen when the 2025 freeze is in force on the signing date (DESIGN §3)."""
    try:
        legal.check_funding_freeze(what, signed_on, tree=tree)
    except legal.FundingFrozen as frozen:
        raise SigningFrozen(frozen) from None
