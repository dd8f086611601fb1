"""Document batches: many conventions rendered in the background, with progress, then zipped.

`request_batch` only records what to do: a batch and one pending item per convention. The database is the
truth of a batch (decision 0036): each item is pending, done or failed, and the batch's counts move with
them. The `run_document_batches` job starts the queued batches and publishes one message per pending item
on the batch queue (service_layer/documents/ports.py BatchItemQueue): RabbitMQ, whose workers run
`python -m conventions.worker` on any machine, or an embedded queue in the scheduler process. A worker
renders its item (`render_batch_item`) by the path a single download takes, and moves it from pending
under a conditional UPDATE, so that a message delivered twice is counted once; the one that sees no item
pending any more zips the batch and finishes it, as the job does for a batch whose last worker stopped
before that. A running batch whose messages went to a queue that is gone (an embedded queue lost with
its process) is published again. A batch moves by the DOCUMENT_BATCH state machine
(domain/document_batches.py), each move written to the history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import DocumentBatch
from conventions.domain.background_runs import RunEvent
from conventions.domain.document_batches import (
    DOCUMENT_BATCH,
    MAX_BATCH_SIZE,
    BatchItemStatus,
    BatchStatus,
)
from conventions.service_layer.background_runs import claim_next_run, finish_run, for_each
from conventions.service_layer.documents.commands import (
    RenderBatchItem,
    RequestBatch,
    RunDocumentBatches,
)
from conventions.service_layer.documents.errors import BatchNotFound, BatchNotReady, InvalidBatch
from conventions.service_layer.documents.generation import convention_document
from conventions.service_layer.documents.ports import (
    BatchItemQueue,
    DocumentAdapters,
    DocumentsUnitOfWork,
)

__all__ = [
    "MAX_BATCH_SIZE",
    "BatchNotFound",
    "BatchNotReady",
    "InlineItemQueue",
    "InvalidBatch",
    "archive_path",
    "finish_batch",
    "get_batch",
    "render_batch_item",
    "request_batch",
    "run_document_batches",
]

logger = logging.getLogger(__name__)

#: A new unit of work (each item of a batch is rendered in its own, in its own thread).
UnitOfWorkFactory = Callable[[], DocumentsUnitOfWork]


def request_batch(uow: DocumentsUnitOfWork, command: RequestBatch) -> DocumentBatch:
    """Queue a batch of the given conventions, or of every signed or amended one when none are given."""
    if command.convention_ids:
        wanted = list(dict.fromkeys(command.convention_ids))
        known = uow.document_subjects.known_conventions(wanted)
        unknown = [str(convention_id) for convention_id in wanted if convention_id not in known]
        if unknown:
            raise InvalidBatch({"convention_ids": [f"Conventions inconnues : {', '.join(unknown[:20])}"]})
    else:
        wanted = uow.document_subjects.signed_conventions()
    if not wanted:
        raise InvalidBatch({"convention_ids": ["Aucune convention à générer."]})
    if len(wanted) > MAX_BATCH_SIZE:
        raise InvalidBatch({"convention_ids": [f"Au plus {MAX_BATCH_SIZE} conventions par lot."]})
    now = utcnow()
    batch = DocumentBatch(
        id=uuid.uuid4(),
        format=command.format,
        total=len(wanted),
        done=0,
        failed=0,
        archive_path=None,
        error=None,
        requested_by=command.requested_by,
        created_at=now,
        started_at=None,
        finished_at=None,
    )
    DOCUMENT_BATCH.start(
        batch,
        BatchStatus.QUEUED,
        actor=command.requested_by,
        reason=f"{len(wanted)} conventions ({command.format})",
        at=now,
        log=uow.history,
    )
    uow.document_batches.add(batch, wanted)
    uow.commit()
    return batch


def get_batch(uow: DocumentsUnitOfWork, batch_id: uuid.UUID) -> DocumentBatch:
    """A batch and its progress."""
    batch = uow.document_batches.get(batch_id)
    if batch is None:
        raise BatchNotFound()
    return batch


def archive_path(uow: DocumentsUnitOfWork, batch_id: uuid.UUID, adapters: DocumentAdapters) -> Path:
    """Where the ZIP of a finished batch is (BatchNotReady while it runs)."""
    batch = get_batch(uow, batch_id)
    if batch.status != BatchStatus.DONE or batch.archive_path is None:
        raise BatchNotReady(batch.status)
    return adapters.store.absolute(batch.archive_path)


def claim_next_batch(uow: DocumentsUnitOfWork, actor: str) -> uuid.UUID | None:
    """Take the oldest queued (or interrupted) batch (service_layer/background_runs.py)."""
    return claim_next_run(uow, uow.document_batches, DOCUMENT_BATCH, actor)


def render_item(
    uow: DocumentsUnitOfWork, item_id: uuid.UUID, fmt: str, today: date, adapters: DocumentAdapters
) -> bool:
    """Render one pending item of a batch; a failure is recorded on the item, never raised. Whether this
    call moved the item: an item already through (its message delivered again) is left as it is."""
    item = uow.document_batches.item(item_id)
    if item is None or item.status != BatchItemStatus.PENDING:
        return False
    batch_id, convention_id = item.batch_id, item.convention_id
    try:
        # The document a single download serves, stored once (generated_documents' unique key).
        stored = convention_document(uow, convention_id, fmt, today, adapters)
    except Exception as error:  # one document's failure must not stop the 3,999 others
        logger.exception("batch item %s failed", item_id)
        uow.rollback()
        status, document_id = BatchItemStatus.FAILED, None
        message: str | None = f"{type(error).__name__}: {error}"[:1000]
    else:
        status, document_id, message = BatchItemStatus.DONE, stored.record.id, None
    moved = uow.document_batches.complete(item_id, status, document_id=document_id, error=message)
    if moved:  # in the same transaction as the item: the progress counts each item once
        done = status == BatchItemStatus.DONE
        uow.document_batches.count(batch_id, done=int(done), failed=int(not done))
    uow.commit()
    return moved


def render_batch_item(
    new_uow: UnitOfWorkFactory, command: RenderBatchItem, adapters: DocumentAdapters
) -> None:
    """What a worker does with one message: render the item if it is still pending, then finish the batch
    if no item is pending any more."""
    with new_uow() as uow:
        item = uow.document_batches.item(command.item_id)
        if item is None:
            return  # a message of a batch that no longer exists
        batch = get_batch(uow, item.batch_id)
        batch_id, fmt, running = batch.id, batch.format, batch.status == BatchStatus.RUNNING
        if running:
            render_item(uow, command.item_id, fmt, command.today, adapters)
    if running:
        finish_batch(new_uow, batch_id, command.actor, adapters)


def finish_batch(
    new_uow: UnitOfWorkFactory, batch_id: uuid.UUID, actor: str, adapters: DocumentAdapters
) -> DocumentBatch | None:
    """Zip the rendered documents of a running batch none of whose items is pending, and finish it; the
    batch when it is done (by this call or an earlier one), None while items are pending. Two callers at
    once (the workers of the last two items, the job) write the same archive; one only moves the batch."""
    with new_uow() as uow:
        batch = get_batch(uow, batch_id)
        if batch.status == BatchStatus.DONE:
            return batch
        if batch.status != BatchStatus.RUNNING or uow.document_batches.has_pending(batch_id):
            return None
        relative = f"batches/{batch_id}.zip"
        adapters.store.write_zip(
            relative,
            [
                (entry.path, f"convention-{entry.reference}.{entry.format}")
                for entry in uow.document_batches.rendered(batch_id)
            ],
        )
        if not uow.document_batches.claim(batch, BatchStatus.DONE, batch.started_at or utcnow()):
            uow.rollback()  # another caller finished it meanwhile
            return get_batch(uow, batch_id)
        finish_run(
            uow, batch, DOCUMENT_BATCH, actor=actor, reason=f"{batch.done} rendus, {batch.failed} en échec"
        )
        batch.archive_path = relative
        uow.commit()
        return batch


class InlineItemQueue:
    """A queue that renders what is published at once, `concurrency` at a time, in the caller's process:
    the job's when it is given no queue (the use cases' tests and direct calls)."""

    def __init__(
        self, new_uow: UnitOfWorkFactory, adapters: DocumentAdapters, concurrency: int, actor: str
    ) -> None:
        self.identity = f"inline:{uuid.uuid4()}"  # what it was given is through when `publish` returns
        self._new_uow, self._adapters = new_uow, adapters
        self._concurrency, self._actor = max(1, concurrency), actor

    def publish(self, batch_id: uuid.UUID, item_ids: Sequence[uuid.UUID], today: date) -> None:
        def one(item_id: uuid.UUID) -> None:
            render_batch_item(self._new_uow, RenderBatchItem(item_id, today, self._actor), self._adapters)

        for_each(item_ids, one, self._concurrency)

    def drain(self) -> None:
        return None


def dispatch_batch(
    uow: DocumentsUnitOfWork, batch_id: uuid.UUID, command: RunDocumentBatches, queue: BatchItemQueue
) -> None:
    """Start a queued batch, and publish the pending items of a running one unless they already went to
    this queue (published again after a loss, they are recorded as a resumption)."""
    batch = get_batch(uow, batch_id)
    now = utcnow()
    if batch.status == BatchStatus.QUEUED:
        if not uow.document_batches.claim(batch, BatchStatus.RUNNING, now):
            uow.rollback()  # another scheduler took it meanwhile
            return
        DOCUMENT_BATCH.apply(
            batch, RunEvent.START, actor=command.actor, reason="pris par le job", at=now, log=uow.history
        )
    elif batch.status != BatchStatus.RUNNING or batch.published_to == queue.identity:
        return
    else:
        DOCUMENT_BATCH.apply(
            batch,
            RunEvent.RESUME,
            actor=command.actor,
            reason="repris après un arrêt : éléments en attente publiés à nouveau",
            at=now,
            log=uow.history,
        )
    uow.commit()
    pending = uow.document_batches.pending_items(batch_id)
    uow.commit()
    if pending:
        # Published first, then recorded: a failure between the two publishes again at the next run (a
        # message twice is harmless), never leaves items that nobody will render.
        queue.publish(batch_id, pending, command.today)
    uow.document_batches.mark_published(batch_id, queue.identity)
    uow.commit()


def run_document_batches(
    new_uow: UnitOfWorkFactory,
    command: RunDocumentBatches,
    adapters: DocumentAdapters,
    queue: BatchItemQueue | None = None,
) -> str:
    """The job: publish the items of every waiting batch, oldest first, on `queue` (rendered at once in
    this process when none is given), and finish the batches none of whose items is pending."""
    queue = queue or InlineItemQueue(new_uow, adapters, command.concurrency, command.actor)
    with new_uow() as uow:
        waiting = uow.document_batches.waiting()
    if not waiting:
        return "aucun lot en attente"
    for batch_id in waiting:
        with new_uow() as uow:
            dispatch_batch(uow, batch_id, command, queue)
    queue.drain()
    summaries = []
    for batch_id in waiting:
        finished = finish_batch(new_uow, batch_id, command.actor, adapters)
        if finished is not None:
            summaries.append(f"{batch_id}: {finished.done} ok, {finished.failed} en échec")
            continue
        with new_uow() as uow:
            batch = get_batch(uow, batch_id)
            summaries.append(f"{batch_id}: {batch.done + batch.failed}/{batch.total} en cours")
    return "; ".join(summaries)
