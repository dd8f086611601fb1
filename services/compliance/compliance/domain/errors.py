"""What the storage reports to the use cases without their knowing it (the SQL unit of work raises it)."""

from __future__ import annotations

from cnum_shared.core.errors import Conflict


class ConcurrentWrite(Conflict):
    """Another transaction stored the same thing at the same moment (a unique key held): this one is
    rolled back; the use case says what to do (refuse with its own message, or do nothing)."""
