"""The one place a service reads the time, so that tests (and only tests) can set it.

Rules never read the clock: use cases and views ask the service's clock for "today" (the Europe/Paris
date) and pass it down. `CNUM_FAKE_NOW` fixes the clock of a process started for a test; it is refused
outside `CNUM_ENVIRONMENT=test` (see cnum_shared.framework.config).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from cnum_shared.core.dates import paris_today


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("an aware datetime is required")
        self._instant = instant
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._instant

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._instant = instant

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._instant += delta


def today(clock: Clock) -> date:
    """The Europe/Paris calendar date on the clock."""
    return paris_today(clock.now())
