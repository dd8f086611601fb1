"""DESIGN §3: a contract is active on D when start_date ≤ D ≤ (ended_on or end_date); open-ended without
either. The expected answers below are that sentence applied by hand, day by day around each boundary."""

from datetime import date

import pytest

from cnum_shared.core.contracts import is_active_between, is_active_on, last_day

START = date(2024, 3, 1)
PLANNED_END = date(2025, 2, 28)
ENDED_EARLY = date(2024, 9, 15)


@pytest.mark.parametrize(
    ("end_date", "ended_on", "on", "active"),
    [
        # a CDD of one year, run to its planned end
        (PLANNED_END, None, date(2024, 2, 29), False),  # the day before it starts
        (PLANNED_END, None, START, True),  # its first day
        (PLANNED_END, None, date(2024, 11, 5), True),
        (PLANNED_END, None, PLANNED_END, True),  # its last day
        (PLANNED_END, None, date(2025, 3, 1), False),  # the day after
        # the same CDD ended early: the early end is its last day, the planned end no longer counts
        (PLANNED_END, ENDED_EARLY, ENDED_EARLY, True),
        (PLANNED_END, ENDED_EARLY, date(2024, 9, 16), False),
        (PLANNED_END, ENDED_EARLY, PLANNED_END, False),
        # a CDI (no planned end)
        (None, None, date(2024, 2, 29), False),
        (None, None, START, True),
        (None, None, date(2040, 1, 1), True),  # open-ended: still active years later
        # a CDI ended early
        (None, ENDED_EARLY, ENDED_EARLY, True),
        (None, ENDED_EARLY, date(2024, 9, 16), False),
        # ended on its first day: active that one day only
        (None, START, START, True),
        (None, START, date(2024, 3, 2), False),
    ],
)
def test_a_contract_is_active_from_its_start_to_its_early_end_or_else_its_planned_end(
    end_date, ended_on, on, active
):
    assert is_active_on(START, end_date, ended_on, on) is active


@pytest.mark.parametrize(
    ("end_date", "ended_on", "expected"),
    [
        (PLANNED_END, None, PLANNED_END),
        (PLANNED_END, ENDED_EARLY, ENDED_EARLY),
        (None, ENDED_EARLY, ENDED_EARLY),
        (None, None, None),
    ],
)
def test_the_last_day_is_the_early_end_when_there_is_one(end_date, ended_on, expected):
    assert last_day(end_date, ended_on) == expected


@pytest.mark.parametrize(
    ("end_date", "ended_on", "first", "last", "active"),
    [
        # the month of March 2024: the contract starts on its first day
        (PLANNED_END, None, date(2024, 3, 1), date(2024, 3, 31), True),
        # February 2024: ends the day before the start
        (PLANNED_END, None, date(2024, 2, 1), date(2024, 2, 29), False),
        # a period ending on the start day
        (PLANNED_END, None, date(2024, 2, 1), START, True),
        # a period starting on the last day
        (PLANNED_END, None, PLANNED_END, date(2025, 3, 31), True),
        (PLANNED_END, None, date(2025, 3, 1), date(2025, 3, 31), False),
        # ended early in September: October is out, September in
        (PLANNED_END, ENDED_EARLY, date(2024, 10, 1), date(2024, 10, 31), False),
        (PLANNED_END, ENDED_EARLY, date(2024, 9, 1), date(2024, 9, 30), True),
        (PLANNED_END, ENDED_EARLY, date(2024, 9, 16), date(2024, 9, 30), False),
        # open-ended
        (None, None, date(2031, 1, 1), date(2031, 1, 31), True),
    ],
)
def test_a_contract_is_active_in_a_period_when_it_is_active_on_one_of_its_days(
    end_date, ended_on, first, last, active
):
    assert is_active_between(START, end_date, ended_on, first, last) is active
