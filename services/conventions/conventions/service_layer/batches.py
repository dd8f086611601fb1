"""Document batches: many conventions rendered in the background, with progress, then zipped.

`request_batch` only records what to do; the `run_document_batches` job of the scheduler process does
it, several documents at a time (as many as the converter has workers), committing the progress after
each document so that `GET /document-batches/{id}` shows it, and so that a restarted job resumes where
it stopped instead of starting again. A batch moves by the DOCUMENT_BATCH state machine
(domain/document_batches.py), each move written to the history; the claim, the work item by item and
the finish are every background run's (service_layer/background_runs.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import DocumentBatch
from conventions.domain.document_batches import (
    DOCUMENT_BATCH,
    MAX_BATCH_SIZE,
    BatchItemStatus,
    BatchStatus,
)
from conventions.service_layer.background_runs import claim_next_run, finish_run, work_through
from conventions.service_layer.documents.commands import RequestBatch, RunDocumentBatches
from conventions.service_layer.documents.errors import BatchNotFound, BatchNotReady, InvalidBatch
from conventions.service_layer.documents.generation import convention_document
from conventions.service_layer.documents.ports import DocumentAdapters, DocumentsUnitOfWork

__all__ = [
    "MAX_BATCH_SIZE",
    "BatchNotFound",
    "BatchNotReady",
    "InvalidBatch",
    "archive_path",
    "get_batch",
    "request_batch",
    "run_batch",
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
) -> None:
    """Render one item of a batch; a failure is recorded on the item, never raised."""
    item = uow.document_batches.item(item_id)
    assert item is not None
    batch_id = item.batch_id
    try:
        stored = convention_document(uow, item.convention_id, fmt, today, adapters)
    except Exception as error:  # one document's failure must not stop the 3,999 others
        logger.exception("batch item %s failed", item_id)
        uow.rollback()
        item = uow.document_batches.item(item_id)
        assert item is not None
        item.status, item.error = BatchItemStatus.FAILED, f"{type(error).__name__}: {error}"[:1000]
        uow.document_batches.count(batch_id, failed=1)
    else:
        item.status, item.document_id = BatchItemStatus.DONE, stored.record.id
        uow.document_batches.count(batch_id, done=1)
    uow.commit()


def run_batch(
    new_uow: UnitOfWorkFactory,
    batch_id: uuid.UUID,
    command: RunDocumentBatches,
    adapters: DocumentAdapters,
) -> DocumentBatch:
    """Render every pending item of the batch, `concurrency` at a time, then zip what was rendered."""
    with new_uow() as uow:
        batch = get_batch(uow, batch_id)
        fmt = batch.format
        pending = uow.document_batches.pending_items(batch_id)
    work_through(
        new_uow,
        pending,
        lambda uow, item: render_item(uow, item, fmt, command.today, adapters),
        max(1, command.concurrency),
    )
    with new_uow() as uow:
        relative = f"batches/{batch_id}.zip"
        # PDFs are already compressed: stored as they are, the archive is written at disk speed.
        adapters.store.write_zip(
            relative,
            [
                (entry.path, f"convention-{entry.reference}.{entry.format}")
                for entry in uow.document_batches.rendered(batch_id)
            ],
        )
        batch = get_batch(uow, batch_id)
        finish_run(
            uow,
            batch,
            DOCUMENT_BATCH,
            actor=command.actor,
            reason=f"{batch.done} rendus, {batch.failed} en échec",
        )
        batch.archive_path = relative
        uow.commit()
        return batch


def run_document_batches(
    new_uow: UnitOfWorkFactory, command: RunDocumentBatches, adapters: DocumentAdapters
) -> str:
    """The job: run every waiting batch, oldest first."""
    finished = []
    while True:
        with new_uow() as uow:
            batch_id = claim_next_batch(uow, command.actor)
        if batch_id is None:
            break
        batch = run_batch(new_uow, batch_id, command, adapters)
        finished.append(f"{batch.id}: {batch.done} ok, {batch.failed} en échec")
    return "; ".join(finished) or "aucun lot en attente"
