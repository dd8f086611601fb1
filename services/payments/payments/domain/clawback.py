"""What a structure pays back when a post ends early: the rule article 6 of the convention states.

A post earns, for each month of the convention started in which it was occupied, the monthly rate of
the funded period that month falls in (initial wave: amount per post ÷ funded months; renewal: that
convention year's amount ÷ 12). The earnings of each period are rounded once, half-up to the cent.
Recoverable = max(0, paid for the post − earned), paid for the post being what was paid ÷ posts.
Pure rules: the periods come from the convention's events (its owner computed them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.dates import months_started
from cnum_shared.core.legal import FundingPeriod
from cnum_shared.core.money import quantize_cents
from cnum_shared.core.state_machine import StateMachine


@dataclass(frozen=True)
class FundedPeriod:
    """A funded period as the convention states it (dates included), for one post."""

    number: int
    starts_on: date
    ends_on: date
    months: int
    amount_per_post: Decimal
    monthly_rate: Decimal


@dataclass(frozen=True)
class PeriodEarning:
    period: int
    months: int
    monthly_rate: Decimal
    earned: Decimal


@dataclass(frozen=True)
class PostClawback:
    months: int
    periods: tuple[PeriodEarning, ...]
    earned: Decimal
    paid_per_post: Decimal
    recoverable: Decimal


def clawback(
    *,
    convention_start: date,
    periods: list[FundedPeriod],
    occupied_from: date,
    occupied_until: date,
    paid_per_post: Decimal,
) -> PostClawback:
    """The months a post was occupied in each funded period, what it earned and what is recoverable."""
    # Month n of the convention starts on its start date + (n - 1) months: a post occupied on any day
    # of a month earns that month (« chaque mois commencé »).
    first = months_started(convention_start, max(occupied_from, convention_start))
    last = months_started(convention_start, occupied_until)
    earnings: list[PeriodEarning] = []
    for period in periods:
        # The convention's months that fall in the period, counted as the conventions service counts them.
        offset = months_started(convention_start, period.starts_on) - 1
        months = FundingPeriod(period.number, offset, period.months, period.amount_per_post).overlap(
            first, last
        )
        if months:
            earned = quantize_cents(period.amount_per_post * months / period.months)
            earnings.append(PeriodEarning(period.number, months, period.monthly_rate, earned))
    earned = sum((item.earned for item in earnings), Decimal(0))
    paid = quantize_cents(paid_per_post)
    return PostClawback(
        months=sum(item.months for item in earnings),
        periods=tuple(earnings),
        earned=earned,
        paid_per_post=paid,
        recoverable=max(Decimal(0), paid - earned),
    )


class RecoveryKind(StrEnum):
    #: A post that ended early (article 6): provisional until its refill deadline.
    POST_ENDED = "post_ended"
    #: The part of an avenant's reduction already paid: issued at once.
    REGULARISATION = "regularisation"
    #: What the final statement finds the structure owes when the convention is closed: issued at once.
    FINAL_STATEMENT = "final_statement"


RECOVERY_KIND_LABELS = {
    RecoveryKind.POST_ENDED: "fin de poste (article 6)",
    RecoveryKind.REGULARISATION: "avenant",
    RecoveryKind.FINAL_STATEMENT: "décompte final",
}


class RecoveryStatus(StrEnum):
    PROVISIONAL = "provisional"
    ISSUED = "issued"
    RECEIVED = "received"
    OFFSET = "offset"
    CANCELLED = "cancelled"


class RecoveryEvent(StrEnum):
    #: The post was refilled before the deadline: nothing is owed back.
    CANCEL_ON_REFILL = "cancel_on_refill"
    #: The refill deadline passed without a refill: the recovery is due (decision 0031).
    ISSUE = "issue"
    #: The structure's transfer reached the agency's account: read on the bank's statement (decision 0027)
    #: or recorded by a finance officer (decision 0031).
    RECEIVE = "receive"


RECOVERIES: StateMachine[RecoveryStatus, RecoveryEvent] = StateMachine(
    "recovery",
    RecoveryStatus,
    RecoveryEvent,
    {
        (RecoveryStatus.PROVISIONAL, RecoveryEvent.CANCEL_ON_REFILL): RecoveryStatus.CANCELLED,
        (RecoveryStatus.PROVISIONAL, RecoveryEvent.ISSUE): RecoveryStatus.ISSUED,
        (RecoveryStatus.ISSUED, RecoveryEvent.RECEIVE): RecoveryStatus.RECEIVED,
    },
    labels={
        RecoveryStatus.PROVISIONAL: "provisoire",
        RecoveryStatus.ISSUED: "émis",
        RecoveryStatus.RECEIVED: "reçu",
        RecoveryStatus.OFFSET: "compensé",
        RecoveryStatus.CANCELLED: "annulé",
    },
)
#: Recoveries that still count (a cancelled one was undone).
LIVE_RECOVERIES = frozenset(
    {RecoveryStatus.PROVISIONAL, RecoveryStatus.ISSUED, RecoveryStatus.RECEIVED, RecoveryStatus.OFFSET}
)
#: What an avenant's reduction already claims back of the payments.
CLAIMED_RECOVERIES = frozenset({RecoveryStatus.ISSUED, RecoveryStatus.RECEIVED, RecoveryStatus.OFFSET})
#: What the balance shows as still recoverable.
RECOVERABLE = frozenset({RecoveryStatus.PROVISIONAL, RecoveryStatus.ISSUED})
