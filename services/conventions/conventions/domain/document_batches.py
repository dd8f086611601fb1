"""Document batches: the statuses a batch and its items go through, and the one way a batch moves.

A batch is `queued` when asked for; the scheduler's job claims it (`running`), renders its items one by
one (each `pending` item becomes `done` or `failed`, one failure never stopping the others) and, once
every item is through, zips what was rendered (`done`). A job stopped mid-batch leaves it `running`: the
next run resumes it from its pending items.
"""

from __future__ import annotations

from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine

#: DESIGN §7: the whole programme (4,000 conventions) in one batch, with room to spare.
MAX_BATCH_SIZE = 10_000


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    #: Part of the API's vocabulary; no transition leads there today (a failed item does not fail its batch).
    FAILED = "failed"


class BatchItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class BatchEvent(StrEnum):
    #: The job takes a queued batch.
    START = "start"
    #: The job takes again a batch a stopped job left running.
    RESUME = "resume"
    #: Every item went through and the archive is written.
    FINISH = "finish"


#: The batches a job may claim: the queued ones and those a stopped job left running.
WAITING = (BatchStatus.QUEUED, BatchStatus.RUNNING)

DOCUMENT_BATCH: StateMachine[BatchStatus, BatchEvent] = StateMachine(
    "document_batch",
    BatchStatus,
    BatchEvent,
    {
        (BatchStatus.QUEUED, BatchEvent.START): BatchStatus.RUNNING,
        (BatchStatus.RUNNING, BatchEvent.RESUME): BatchStatus.RUNNING,
        (BatchStatus.RUNNING, BatchEvent.FINISH): BatchStatus.DONE,
    },
    labels={
        BatchStatus.QUEUED: "en attente",
        BatchStatus.RUNNING: "en cours",
        BatchStatus.DONE: "terminé",
        BatchStatus.FAILED: "en échec",
    },
)


def claim_event(status: BatchStatus | str) -> BatchEvent:
    """How the job takes a waiting batch: it starts a queued one and resumes a running one."""
    return BatchEvent.START if BatchStatus(status) is BatchStatus.QUEUED else BatchEvent.RESUME


def progress(done: int, failed: int, total: int) -> int:
    """The part of a batch that went through, from 0 to 100 (an empty batch is complete)."""
    return (100 * (done + failed)) // total if total else 100
