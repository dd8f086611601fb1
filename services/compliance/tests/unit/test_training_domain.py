"""Continuing training (FAQ 167v0qe): the years owed and the module that settles each (pure rules)."""

from __future__ import annotations

from datetime import date

from compliance.domain.training import YearDeadline, YearToSettle, owed_years, settled_years


class Due:
    def __init__(self, due_on: date, reference: str = "test") -> None:
        self.due_on = due_on
        self.reference = reference


def _deadline(year: int) -> YearDeadline | None:
    """The rule as written in the test: none before 2024; 2024's module due 31 March 2025, the next ones
    on 31 December of their year."""
    if year < 2024:
        return None
    return Due(date(2025, 3, 31) if year == 2024 else date(year, 12, 31))


def test_the_years_owed_begin_with_the_first_day_then_each_1_january():
    years = owed_years(
        first_starts_on=date(2024, 6, 1), last_day=None, as_of=date(2026, 1, 1), deadline_of=_deadline
    )
    assert [(y.year, y.starts_on, y.due_on) for y in years] == [
        (2024, date(2024, 6, 1), date(2025, 3, 31)),
        (2025, date(2025, 1, 1), date(2025, 12, 31)),
        (2026, date(2026, 1, 1), date(2026, 12, 31)),
    ]


def test_no_year_before_the_rule_nor_one_not_yet_begun():
    years = owed_years(
        first_starts_on=date(2023, 3, 1), last_day=None, as_of=date(2024, 12, 31), deadline_of=_deadline
    )
    assert [y.year for y in years] == [2024]


def test_an_advisor_who_leaves_before_a_due_date_owes_that_year_and_the_next_no_module():
    years = owed_years(
        first_starts_on=date(2024, 6, 1),
        last_day=date(2025, 11, 30),
        as_of=date(2026, 6, 1),
        deadline_of=_deadline,
    )
    assert [y.year for y in years] == [2024]


def test_each_module_settles_one_year_the_earliest_deadline_first():
    years = [
        YearToSettle("2024", date(2024, 1, 1), date(2025, 3, 31)),
        YearToSettle("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ]
    # A module of February 2025 settles 2024, still lacking one; the next settles 2025.
    assert settled_years(years, [date(2025, 6, 10), date(2025, 2, 3)]) == {
        "2024": date(2025, 2, 3),
        "2025": date(2025, 6, 10),
    }
    # One module only: the earliest deadline takes it.
    assert settled_years(years, [date(2025, 2, 3)]) == {"2024": date(2025, 2, 3)}
    # A module after a year's due date does not settle it.
    assert settled_years(years[:1], [date(2025, 4, 1)]) == {}
