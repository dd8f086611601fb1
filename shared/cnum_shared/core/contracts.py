"""The one rule of DESIGN §3 that every service needs: when an employment contract is active.

A contract is active on day D when its start ≤ D ≤ its last day, the last day being the day it was
ended early (`ended_on`) or else its planned end (`end_date`; none for a CDI or a titular). The SQL form
of the same rule, for queries, is `cnum_shared.framework.db.contract_active_on`; both read `last_day`.
"""

from __future__ import annotations

from datetime import date


def last_day(end_date: date | None, ended_on: date | None) -> date | None:
    """The contract's last working day: its early end when it has one, else its planned end (None: open)."""
    return ended_on or end_date


def is_active_on(start_date: date, end_date: date | None, ended_on: date | None, on: date) -> bool:
    """DESIGN §3: active on D when start ≤ D ≤ (ended_on or end_date)."""
    last = last_day(end_date, ended_on)
    return start_date <= on and (last is None or on <= last)


def is_active_between(
    start_date: date, end_date: date | None, ended_on: date | None, first: date, last: date
) -> bool:
    """Active on at least one day of [first, last]."""
    end = last_day(end_date, ended_on)
    return start_date <= last and (end is None or end >= first)
