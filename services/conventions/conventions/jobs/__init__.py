"""Named, idempotent jobs of the conventions service; `python -m conventions.jobs list` names them."""

from __future__ import annotations

from cnum_shared.events.relay import relay_outbox_job
from cnum_shared.jobs import Job
from conventions.adapters.orm import event_tables

JOBS: list[Job] = [
    relay_outbox_job(event_tables),
]
