"""Calendar arithmetic of the programme's rules (DESIGN §3).

Every legal date is a Europe/Paris calendar date; timestamps are stored in UTC and turned into a Paris
date by `paris_today`, which is handed the instant by its caller: rules never read the clock.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

#: DESIGN §3: "1.5 months = 1 month + 15 days".
DAYS_IN_HALF_MONTH = 15

_HALF = Decimal("0.5")


def add_months(start: date, months: int) -> date:
    """Add calendar months; a day the target month lacks becomes its last day.

    31 January 2021 + 1 month = 28 February 2021; 31 January 2024 + 1 month = 29 February 2024.
    `months` may be negative.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError(f"months must be an int, not {type(months).__name__}")
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_period(start: date, months: Decimal | int = 0, days: int = 0) -> date:
    """Add whole or half months, then days: 1.5 months is 1 calendar month and then 15 days.

    Any other fraction of a month has no calendar meaning and is refused (ValueError); floats are
    refused (TypeError) because a parameter read as 1.4999… must not silently become a month.
    """
    if isinstance(months, bool | float) or not isinstance(months, Decimal | int):
        raise TypeError(f"months must be a Decimal or an int, not {type(months).__name__}")
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, not {type(days).__name__}")
    amount = Decimal(months)
    if not amount.is_finite() or (amount * 2) % 1 != 0:
        raise ValueError(f"only whole or half months are allowed, not {months}")
    whole = int(amount)  # truncates towards zero, so -1.5 is -1 month and then -15 days
    half = amount - whole
    extra_days = 0 if half == 0 else (DAYS_IN_HALF_MONTH if half == _HALF else -DAYS_IN_HALF_MONTH)
    return add_months(start, whole) + timedelta(days=extra_days + days)


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years on a given day.

    Someone born on 29 February turns a year older on 1 March in a common year (their birthday has not
    come on 28 February), and on 29 February in a leap year.
    """
    if on < birth_date:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth_date.isoformat()}")
    birthday_passed = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if birthday_passed else 1)


def months_started(start: date, end: date) -> int:
    """The number of months started from `start` up to `end` inclusive.

    Month n (n ≥ 1) of a period starts on `add_months(start, n - 1)`, each anniversary computed from
    `start` itself (never chained, so a 31 January start has months starting on 28/29 February and then
    31 March). The count is the number of those starts that fall on or before `end`:

    - start 2023-01-15, end 2023-01-15 → 1 (the first month started on its first day);
    - end 2023-02-14 → 1; end 2023-02-15 → 2 (the second month starts on the anniversary).

    A period that ends before it starts has started no month (0).
    """
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    # `months` anniversaries lie in end's calendar month or earlier; the last one may still be after end.
    return months + 1 if add_months(start, months) <= end else months


def paris_today(now: datetime) -> date:
    """The Europe/Paris calendar date of an aware instant (the caller reads the clock, not the rules)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("an aware datetime is required (UTC), not a naive one")
    return now.astimezone(PARIS).date()
