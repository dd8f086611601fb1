"""The final statement of a convention (décompte final): what its posts earned, what was paid, the balance.

Each post earns by the clawback rule of DESIGN §4 (article 6 of the convention), computed by
`clawback.clawback`, the one place that states it: for each month of the convention started in which the
post was occupied, the monthly rate of the funded period that month falls in. Payments knows contracts,
not posts: the contracts are laid on the posts in the order they start, a contract taking the post that
was vacated last before its start (a refill), so that a post handed over in the middle of a month earns
that month once. A post never filled earns nothing.

    granted  = the convention's total as last amended;
    earned   = Σ posts' earnings (never more than granted);
    paid     = payments `paid` (instalments and supplementary lines; a payment the bank returned does
               not count) − recoveries `received`, or `offset` against a tranche now paid (money that
               came back; decision 0031);
    balance  = earned − paid: « reste à payer » when positive, « à reverser » when negative.

What is already under way is not settled twice: the lines approved or booked by the closing and not yet
paid (`in_payment`) and the recoveries claimed and not yet received (`claimed`: `provisional`,
`issued`, or `offset` against a tranche not yet paid). What closing the convention settles is
`balance − in_payment + claimed`. Decision 0030.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cnum_shared.core.dates import add_months, months_started
from payments.domain.clawback import FundedPeriod, PeriodEarning, clawback


@dataclass(frozen=True)
class Occupation:
    """A contract on the convention: from its start to its end (the day it ended, else its planned end;
    None for an open-ended contract, occupied up to the statement's date)."""

    contract_id: uuid.UUID
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class ContractEarning:
    contract_id: uuid.UUID
    #: The days counted: from the contract's start (or the month after its predecessor's last month on the
    #: same post) to its end, the statement's date or the convention's end, whichever comes first.
    occupied_from: date
    occupied_until: date
    months: int
    periods: tuple[PeriodEarning, ...]
    earned: Decimal


@dataclass(frozen=True)
class PostEarning:
    post: int
    contracts: tuple[ContractEarning, ...]
    months: int
    earned: Decimal


@dataclass(frozen=True)
class FinalStatement:
    as_of: date
    posts: tuple[PostEarning, ...]
    granted: Decimal
    earned: Decimal
    paid: Decimal
    balance: Decimal
    #: « Reste à payer » (balance > 0) and « à reverser » (balance < 0): one of them is zero.
    to_pay: Decimal
    to_recover: Decimal
    in_payment: Decimal
    claimed: Decimal
    #: What closing settles: a payable line when positive, a recovery when negative, nothing at zero.
    to_settle: Decimal


@dataclass
class _Post:
    until: date
    contracts: list[ContractEarning]


def final_statement(
    *,
    convention_start: date,
    convention_end: date,
    posts: int,
    periods: list[FundedPeriod],
    granted: Decimal,
    paid_out: Decimal,
    received_back: Decimal,
    in_payment: Decimal,
    claimed: Decimal,
    occupations: list[Occupation],
    as_of: date,
) -> FinalStatement:
    """The convention's final statement as of `as_of` (months after it, or after the convention's end,
    are not counted)."""
    last_day = min(as_of, convention_end)
    filled: list[_Post] = []
    for occupation in sorted(occupations, key=lambda item: (item.starts_on, str(item.contract_id))):
        if occupation.starts_on > last_day:
            continue  # not started by the statement's date: it earns nothing yet
        until = min(occupation.ends_on or last_day, last_day)
        vacated = [post for post in filled if post.until < occupation.starts_on]
        post = max(vacated, key=lambda item: item.until, default=None)
        occupied_from = occupation.starts_on
        if post is None:
            post = _Post(until=until, contracts=[])
            filled.append(post)
        else:
            # The month the predecessor left in was earned by the post already: the refill counts from
            # the next month of the convention (month n starts on start + (n − 1) months).
            next_month = add_months(convention_start, months_started(convention_start, post.until))
            occupied_from = max(occupied_from, next_month)
            post.until = max(post.until, until)
        outcome = clawback(
            convention_start=convention_start,
            periods=periods,
            occupied_from=occupied_from,
            occupied_until=until,
            paid_per_post=Decimal(0),
        )
        post.contracts.append(
            ContractEarning(
                contract_id=occupation.contract_id,
                occupied_from=occupied_from,
                occupied_until=until,
                months=outcome.months,
                periods=outcome.periods,
                earned=outcome.earned,
            )
        )
    lines = [
        PostEarning(
            post=number,
            contracts=tuple(post.contracts),
            months=sum(item.months for item in post.contracts),
            earned=sum((item.earned for item in post.contracts), Decimal(0)),
        )
        for number, post in enumerate(filled, start=1)
    ]
    lines += [
        PostEarning(post=number, contracts=(), months=0, earned=Decimal("0.00"))
        for number in range(len(filled) + 1, posts + 1)
    ]
    # A post cannot earn beyond its funding: the cap only bites where contracts outnumbered the posts
    # an avenant left (the conventions service refuses more active contracts than posts).
    earned = min(sum((line.earned for line in lines), Decimal("0.00")), granted)
    paid = paid_out - received_back
    balance = earned - paid
    return FinalStatement(
        as_of=last_day,
        posts=tuple(lines),
        granted=granted,
        earned=earned,
        paid=paid,
        balance=balance,
        to_pay=max(balance, Decimal("0.00")),
        to_recover=max(-balance, Decimal("0.00")),
        in_payment=in_payment,
        claimed=claimed,
        to_settle=balance - in_payment + claimed,
    )
