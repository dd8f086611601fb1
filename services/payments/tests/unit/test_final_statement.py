"""The final statement of a convention (décompte final), worked out by hand from DESIGN §3/§4 in each test.

A post earns, for each month of the convention started in which it was occupied, the monthly rate of the
funded period the month falls in (initial wave: amount per post ÷ funded months; renewal: that year's
amount ÷ 12), each period's earnings rounded once, half-up. Balance = earned − paid (decision 0030).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payments.domain.clawback import FundedPeriod
from payments.domain.final_statement import Occupation, final_statement

CENT = Decimal("0.01")
START = date(2021, 3, 1)
END = date(2023, 2, 28)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def initial_wave(amount: str = "50000.00") -> list[FundedPeriod]:
    """A public post of the initial wave: 50 000 € over 24 funded months, 1 March 2021 to 28 Feb 2023."""
    return [FundedPeriod(1, START, END, 24, Decimal(amount), cents(Decimal(amount) / 24))]


def contract(starts_on: date, ends_on: date | None) -> Occupation:
    return Occupation(uuid.uuid4(), starts_on, ends_on)


def statement(occupations, *, posts=1, paid_out="20000.00", as_of=END, periods=None, **money):
    granted = money.pop("granted", str(Decimal("50000.00") * posts))
    return final_statement(
        convention_start=periods[0].starts_on if periods else START,
        convention_end=periods[-1].ends_on if periods else END,
        posts=posts,
        periods=periods or initial_wave(),
        granted=Decimal(granted),
        paid_out=Decimal(paid_out),
        received_back=Decimal(money.pop("received_back", "0.00")),
        in_payment=Decimal(money.pop("in_payment", "0.00")),
        claimed=Decimal(money.pop("claimed", "0.00")),
        occupations=occupations,
        as_of=as_of,
    )


def test_a_post_occupied_ten_months_started_earns_ten_monthly_rates_and_is_owed_the_rest():
    # 15 March to 20 December 2021: March to December are months 1 to 10 of the convention.
    # 50 000 ÷ 24 = 2 083,33 a month; 50 000 × 10 ÷ 24 = 20 833,333… → 20 833,33 earned.
    # Paid: tranche 1, 40 % of 50 000 = 20 000. Balance 20 833,33 − 20 000 = 833,33 still to pay.
    found = statement([contract(date(2021, 3, 15), date(2021, 12, 20))])

    [post] = found.posts
    [line] = post.contracts
    assert (line.months, line.periods[0].monthly_rate, line.earned) == (
        10,
        Decimal("2083.33"),
        Decimal("20833.33"),
    )
    assert (found.granted, found.earned, found.paid) == (
        Decimal("50000.00"),
        Decimal("20833.33"),
        Decimal("20000.00"),
    )
    assert (found.balance, found.to_pay, found.to_recover) == (Decimal("833.33"), Decimal("833.33"), 0)
    assert found.to_settle == Decimal("833.33")


def test_a_post_never_filled_earns_nothing():
    # 2 posts, 100 000 granted; only one filled for the whole convention: 24 months, 50 000 earned.
    # Paid: 40 % + 40 % of 100 000 = 80 000. Balance 50 000 − 80 000 = −30 000: 30 000 to pay back.
    found = statement([contract(START, END)], posts=2, paid_out="80000.00")

    assert [(post.post, post.months, post.earned, len(post.contracts)) for post in found.posts] == [
        (1, 24, Decimal("50000.00"), 1),
        (2, 0, Decimal("0.00"), 0),
    ]
    assert (found.earned, found.balance) == (Decimal("50000.00"), Decimal("-30000.00"))
    assert (found.to_pay, found.to_recover, found.to_settle) == (0, Decimal("30000.00"), Decimal("-30000.00"))


def test_a_post_refilled_in_the_month_its_advisor_left_earns_that_month_once():
    # The first advisor: 15 March to 10 June 2021, months 1 to 4 (March, April, May, June):
    # 50 000 × 4 ÷ 24 = 8 333,333… → 8 333,33. The second from 20 June: June is already earned, so
    # from 1 July (month 5) to 5 September (month 7): 3 months, 50 000 × 3 ÷ 24 = 6 250. Post: 7 months,
    # 14 583,33 (not 8 months as two contracts counted apart would make it).
    first = contract(date(2021, 3, 15), date(2021, 6, 10))
    second = contract(date(2021, 6, 20), date(2021, 9, 5))

    found = statement([second, first])

    [post] = found.posts
    assert [(c.contract_id, c.occupied_from, c.months, c.earned) for c in post.contracts] == [
        (first.contract_id, date(2021, 3, 15), 4, Decimal("8333.33")),
        (second.contract_id, date(2021, 7, 1), 3, Decimal("6250.00")),
    ]
    assert (post.months, found.earned) == (7, Decimal("8333.33") + Decimal("6250.00"))


def test_two_advisors_at_once_occupy_two_posts():
    # Two posts, both advisors from 1 March 2021: the second does not wait for the first to leave.
    # Each until 31 August 2021, months 1 to 6: 50 000 × 6 ÷ 24 = 12 500 each, 25 000 in all.
    found = statement(
        [contract(START, date(2021, 8, 31)), contract(START, date(2021, 8, 31))], posts=2, paid_out="0.00"
    )

    assert [(post.post, post.months, post.earned) for post in found.posts] == [
        (1, 6, Decimal("12500.00")),
        (2, 6, Decimal("12500.00")),
    ]
    assert found.earned == Decimal("25000.00")


def test_a_renewal_statement_before_the_end_counts_up_to_its_date():
    # Renewal, public: 17 500 / 12 500 / 12 500 a post for its three years from 1 June 2023. An open-ended
    # contract from 15 June 2023, statement as of 15 August 2024: months 1 to 15 — year 1 whole (17 500),
    # 3 months of year 2: 12 500 × 3 ÷ 12 = 3 125. Earned 20 625. Paid 17 500: 3 125 still to pay.
    periods = [
        FundedPeriod(1, date(2023, 6, 1), date(2024, 5, 31), 12, Decimal("17500.00"), Decimal("1458.33")),
        FundedPeriod(2, date(2024, 6, 1), date(2025, 5, 31), 12, Decimal("12500.00"), Decimal("1041.67")),
        FundedPeriod(3, date(2025, 6, 1), date(2026, 5, 31), 12, Decimal("12500.00"), Decimal("1041.67")),
    ]

    found = statement(
        [contract(date(2023, 6, 15), None)],
        periods=periods,
        granted="42500.00",
        paid_out="17500.00",
        as_of=date(2024, 8, 15),
    )

    [line] = found.posts[0].contracts
    assert [(p.period, p.months, p.earned) for p in line.periods] == [
        (1, 12, Decimal("17500.00")),
        (2, 3, Decimal("3125.00")),
    ]
    assert (found.as_of, line.occupied_until, found.earned, found.to_pay) == (
        date(2024, 8, 15),
        date(2024, 8, 15),
        Decimal("20625.00"),
        Decimal("3125.00"),
    )


def test_a_statement_after_the_end_stops_at_the_end_and_a_later_contract_earns_nothing():
    # An open-ended contract from the start: the 24 funded months, 50 000; asked as of 2026, the statement
    # is as of the convention's end. A contract signed after it earns nothing.
    late = contract(date(2023, 6, 1), None)
    found = statement([contract(START, None), late], posts=2, as_of=date(2026, 1, 10))

    assert found.as_of == END
    assert [(post.months, post.earned) for post in found.posts] == [(24, Decimal("50000.00")), (0, 0)]


def test_paid_counts_what_came_back_and_the_settlement_what_is_under_way():
    # Earned 20 833,33 (10 months, as above). Paid out 20 000 + 20 000 = 40 000, of which 1 000 came back
    # (a recovery received): paid 39 000. Balance 20 833,33 − 39 000 = −18 166,67: 18 166,67 to pay back.
    # 3 000 are already claimed (a provisional recovery) and 500 approved, not yet paid: closing claims
    # 18 166,67 − 3 000 + 500 = 15 666,67 more (balance − in payment + claimed = −15 666,67).
    found = statement(
        [contract(date(2021, 3, 15), date(2021, 12, 20))],
        paid_out="40000.00",
        received_back="1000.00",
        claimed="3000.00",
        in_payment="500.00",
    )

    assert (found.paid, found.balance, found.to_recover) == (
        Decimal("39000.00"),
        Decimal("-18166.67"),
        Decimal("18166.67"),
    )
    assert found.to_settle == Decimal("-18166.67") - Decimal("500.00") + Decimal("3000.00")
    assert found.to_settle == Decimal("-15666.67")
