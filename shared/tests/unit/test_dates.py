from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cnum_shared.core.dates import PARIS, add_months, add_period, age_on, months_started, paris_today


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 3, 15), 12, date(2024, 3, 15)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2023, 12, 15), 1, date(2024, 1, 15)),
        (date(2023, 5, 31), -1, date(2023, 4, 30)),
        (date(2024, 3, 31), -13, date(2023, 2, 28)),
        (date(2021, 1, 31), 0, date(2021, 1, 31)),
    ],
)
def test_months_are_added_calendar_wise(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize("months", [Decimal(1), 1.0, True])
def test_add_months_takes_a_whole_number_only(months):
    with pytest.raises(TypeError, match="int"):
        add_months(date(2024, 1, 1), months)


@pytest.mark.parametrize(
    ("start", "months", "days", "expected"),
    [
        (date(2024, 1, 31), Decimal("1.5"), 0, date(2024, 3, 15)),
        (date(2024, 1, 10), Decimal("0.5"), 0, date(2024, 1, 25)),
        (date(2024, 1, 10), 0, 15, date(2024, 1, 25)),
        (date(2024, 1, 10), 1, 15, date(2024, 2, 25)),
        (date(2024, 1, 10), Decimal(6), 0, date(2024, 7, 10)),
        (date(2024, 3, 31), Decimal("-1.5"), 0, date(2024, 2, 14)),
    ],
)
def test_half_months_are_fifteen_days_after_the_whole_months(start, months, days, expected):
    assert add_period(start, months, days) == expected


@pytest.mark.parametrize("months", [Decimal("1.25"), Decimal("0.1"), Decimal("NaN")])
def test_other_fractions_of_a_month_are_refused(months):
    with pytest.raises(ValueError, match="whole or half months"):
        add_period(date(2024, 1, 1), months)


def test_a_float_month_is_refused():
    with pytest.raises(TypeError, match="Decimal or an int"):
        add_period(date(2024, 1, 1), 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1960, 2, 29), date(2024, 2, 28), 63),
        (date(1960, 2, 29), date(2024, 2, 29), 64),
        (date(1960, 2, 29), date(2025, 2, 28), 64),
        (date(1960, 2, 29), date(2025, 3, 1), 65),
        (date(2008, 6, 15), date(2024, 6, 14), 15),
        (date(2008, 6, 15), date(2024, 6, 15), 16),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_is_in_completed_years(birth, on, age):
    assert age_on(birth, on) == age


def test_an_age_before_birth_is_refused():
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2023, 1, 15), date(2023, 1, 14), 0),
        (date(2023, 1, 15), date(2023, 1, 15), 1),
        (date(2023, 1, 15), date(2023, 2, 14), 1),
        (date(2023, 1, 15), date(2023, 2, 15), 2),
        (date(2023, 1, 15), date(2024, 1, 14), 12),
        (date(2023, 1, 15), date(2024, 1, 15), 13),
        (date(2021, 1, 31), date(2021, 2, 27), 1),
        (date(2021, 1, 31), date(2021, 2, 28), 2),
        (date(2021, 1, 31), date(2021, 3, 30), 2),
        (date(2021, 1, 31), date(2021, 3, 31), 3),
        (date(2023, 1, 1), date(2024, 12, 31), 24),
    ],
)
def test_months_started_counts_the_monthly_anniversaries_reached(start, end, count):
    assert months_started(start, end) == count


def test_paris_today_follows_the_paris_calendar():
    assert PARIS.key == "Europe/Paris"
    assert paris_today(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == date(2026, 6, 30)
    assert paris_today(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == date(2026, 7, 1)  # summer: UTC+2
    assert paris_today(datetime(2026, 12, 31, 22, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert paris_today(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == date(2027, 1, 1)  # winter: UTC+1
    assert paris_today(datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))) == date(2025, 12, 31)


def test_paris_today_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        paris_today(datetime(2026, 1, 1))
