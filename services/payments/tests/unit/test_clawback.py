"""The clawback rule of DESIGN §4 (article 6 of the convention), worked out by hand in each test.

A post earns, for each month of the convention started in which it was occupied, the monthly rate of the
funded period that month falls in; each period's earnings are rounded once, half-up to the cent.
Recoverable = max(0, paid for the post − earned).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payments.domain.clawback import FundedPeriod, clawback

CENT = Decimal("0.01")


def initial(amount="25000.00", months=24, start=date(2025, 1, 1), end=date(2026, 12, 31)):
    return FundedPeriod(1, start, end, months, Decimal(amount), (Decimal(amount) / months).quantize(CENT))


def test_a_post_occupied_three_months_started_earns_three_monthly_rates():
    outcome = clawback(
        convention_start=date(2025, 1, 1),
        periods=[initial()],
        occupied_from=date(2025, 1, 20),
        occupied_until=date(2025, 3, 1),  # 1 March starts the third month
        paid_per_post=Decimal("10000.00"),
    )

    earned = (Decimal("25000.00") * 3 / 24).quantize(CENT, ROUND_HALF_UP)  # 3,125.00
    assert (outcome.months, outcome.earned, outcome.recoverable) == (3, earned, Decimal("10000.00") - earned)


def test_the_earnings_are_rounded_once_per_period_half_up():
    # 20,000 over 24 months: 7 months earn 20,000 × 7 ÷ 24 = 5,833.333… → 5,833.33 (not 7 × 833.33).
    outcome = clawback(
        convention_start=date(2025, 1, 1),
        periods=[initial("20000.00")],
        occupied_from=date(2025, 1, 1),
        occupied_until=date(2025, 7, 31),
        paid_per_post=Decimal("6666.666"),
    )

    assert outcome.earned == Decimal("5833.33")
    assert outcome.paid_per_post == Decimal("6666.67")  # what was paid ÷ posts, to the cent
    assert outcome.recoverable == Decimal("6666.67") - Decimal("5833.33")


def test_nothing_is_recoverable_when_the_post_earned_more_than_was_paid():
    outcome = clawback(
        convention_start=date(2025, 1, 1),
        periods=[initial()],
        occupied_from=date(2025, 1, 1),
        occupied_until=date(2025, 12, 31),
        paid_per_post=Decimal("10000.00"),
    )

    assert outcome.earned == Decimal("12500.00")  # 12 × 25,000 ÷ 24
    assert outcome.recoverable == Decimal(0)


def test_a_renewal_earns_each_year_at_its_own_rate():
    # Renewal: year 1 at 12,000 ÷ 12, year 2 at 6,000 ÷ 12; a post occupied from month 11 to month 14
    # earns 2 months of year 1 and 2 months of year 2.
    periods = [
        FundedPeriod(1, date(2025, 1, 1), date(2025, 12, 31), 12, Decimal("12000.00"), Decimal("1000.00")),
        FundedPeriod(2, date(2026, 1, 1), date(2026, 12, 31), 12, Decimal("6000.00"), Decimal("500.00")),
    ]

    outcome = clawback(
        convention_start=date(2025, 1, 1),
        periods=periods,
        occupied_from=date(2025, 11, 5),
        occupied_until=date(2026, 2, 10),
        paid_per_post=Decimal("9000.00"),
    )

    assert [(p.period, p.months, p.earned) for p in outcome.periods] == [
        (1, 2, Decimal("2000.00")),
        (2, 2, Decimal("1000.00")),
    ]
    assert outcome.recoverable == Decimal("9000.00") - Decimal("3000.00")
