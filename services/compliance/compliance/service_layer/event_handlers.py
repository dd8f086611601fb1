"""How the compliance service reacts to the events of the other services (each in the inbox's transaction)."""

from __future__ import annotations

from collections.abc import Mapping

from cnum_shared.events.api import EventHandler

EVENT_HANDLERS: Mapping[str, EventHandler] = {}
