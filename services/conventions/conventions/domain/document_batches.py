"""Document batches: many conventions' documents rendered in the background, then zipped.

A batch is a background run (domain/background_runs.py): queued, claimed and run item by item by the
`run_document_batches` job, resumed after a stop, and `done` once every document is through and the
archive is written. Its vocabulary is the runs' own, under the names the documents' code reads.
"""

from __future__ import annotations

from conventions.domain.background_runs import (
    WAITING,
    RunEvent,
    RunItemStatus,
    RunStatus,
    claim_event,
    progress,
    run_machine,
)

__all__ = [
    "DOCUMENT_BATCH",
    "MAX_BATCH_SIZE",
    "WAITING",
    "BatchEvent",
    "BatchItemStatus",
    "BatchStatus",
    "claim_event",
    "progress",
]

#: DESIGN §7: the whole programme (4,000 conventions) in one batch, with room to spare.
MAX_BATCH_SIZE = 10_000

BatchStatus = RunStatus
BatchItemStatus = RunItemStatus
BatchEvent = RunEvent

#: A batch is never relaunched: another batch is asked for instead.
DOCUMENT_BATCH = run_machine("document_batch")
