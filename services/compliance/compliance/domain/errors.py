"""What the storage reports to the use cases without their knowing it (the SQL unit of work raises it)."""

from __future__ import annotations

from cnum_shared.core.errors import ConcurrentWrite

__all__ = ["ConcurrentWrite"]
