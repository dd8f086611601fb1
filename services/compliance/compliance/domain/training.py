"""Continuing training (FAQ 167v0qe): the calendar years an advisor owes a thematic module, and which
module settles which year. Pure rules: the deadlines of each year come in as arguments."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class YearDeadline(Protocol):
    @property
    def due_on(self) -> date: ...

    @property
    def reference(self) -> str: ...


@dataclass(frozen=True)
class ContinuingYear:
    """The module of one calendar year: owed from `starts_on`, due on `due_on`, settled by a module
    followed from 1 January of that year up to `due_on`."""

    year: int
    starts_on: date
    due_on: date
    source: str

    @property
    def period(self) -> date:
        return date(self.year, 1, 1)


def owed_years(
    *,
    first_starts_on: date,
    last_day: date | None,
    as_of: date,
    deadline_of: Callable[[int], YearDeadline | None],
) -> list[ContinuingYear]:
    """The calendar years owed by `as_of`, the first beginning on `first_starts_on`, the next ones on
    1 January.

    A year is owed once it has begun, when the rule covers it (`deadline_of` gives None before 2024) and
    when the contract runs until its due date: an advisor who leaves before then owes no module for it,
    nor for any later year. A year whose start falls after its due date (the first year of training
    ending on 31 December) is not owed.
    """
    owed: list[ContinuingYear] = []
    year = first_starts_on.year
    while True:
        starts_on = first_starts_on if year == first_starts_on.year else date(year, 1, 1)
        if starts_on > as_of:
            return owed
        deadline = deadline_of(year)
        if deadline is not None and starts_on <= deadline.due_on:
            if last_day is not None and last_day < deadline.due_on:
                return owed
            owed.append(ContinuingYear(year, starts_on, deadline.due_on, deadline.reference))
        year += 1


@dataclass(frozen=True)
class YearToSettle:
    key: Hashable
    period: date
    due_on: date


def settled_years(years: Sequence[YearToSettle], modules: Sequence[date]) -> dict[Hashable, date]:
    """The years a module settles, with that module's date; each module counts for one year only.

    Earliest due first, each year takes the earliest module not yet taken within its window (1 January
    to its due date): the 2024 module could be followed until 31 March 2025, so a module of early 2025
    settles 2024 when 2024 still lacks one, and 2025 otherwise. Taking the earliest fitting module for
    the earliest deadline settles as many years as any assignment could.
    """
    free = sorted(modules)
    settled: dict[Hashable, date] = {}
    for year in sorted(years, key=lambda item: (item.due_on, item.period)):
        for index, day in enumerate(free):
            if year.period <= day <= year.due_on:
                settled[year.key] = day
                del free[index]
                break
    return settled
