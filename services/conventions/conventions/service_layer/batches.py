"""Document batches: many conventions rendered in the background, with progress, then zipped.

`request_batch` only records what to do; the `run_document_batches` job of the scheduler process does
it, several documents at a time (as many as the converter has workers), committing the progress after
each document so that `GET /document-batches/{id}` shows it, and so that a restarted job resumes where
it stopped instead of starting again.
"""

from __future__ import annotations

import logging
import os
import uuid
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select, update

from cnum_shared.framework.db import Database, UnitOfWork, among, utcnow
from conventions.adapters.orm import Convention, DocumentBatch, DocumentBatchItem, GeneratedDocument
from conventions.domain.conventions import ConventionStatus
from conventions.service_layer.documents import Converter, convention_document

logger = logging.getLogger(__name__)

#: DESIGN §7: the whole programme (4,000 conventions) in one batch, with room to spare.
MAX_BATCH_SIZE = 10_000


class BatchNotFound(LookupError):
    pass


class BatchNotReady(Exception):
    """The archive of a batch that has not finished (a 409)."""


class InvalidBatch(ValueError):
    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(str(problems))
        self.problems = problems


def request_batch(
    uow: UnitOfWork, convention_ids: Sequence[uuid.UUID] | None, fmt: str, requested_by: str
) -> DocumentBatch:
    """Queue a batch of the given conventions, or of every signed or amended one when none are given."""
    if convention_ids:
        wanted = list(dict.fromkeys(convention_ids))
        known = set(
            uow.session.scalars(select(Convention.id).where(among(uow.session, Convention.id, wanted)))
        )
        unknown = [str(convention_id) for convention_id in wanted if convention_id not in known]
        if unknown:
            raise InvalidBatch({"convention_ids": [f"Conventions inconnues : {', '.join(unknown[:20])}"]})
    else:
        wanted = list(
            uow.session.scalars(
                select(Convention.id)
                .where(Convention.status.in_([ConventionStatus.SIGNED.value, ConventionStatus.AMENDED.value]))
                .order_by(Convention.reference)
            )
        )
    if not wanted:
        raise InvalidBatch({"convention_ids": ["Aucune convention à générer."]})
    if len(wanted) > MAX_BATCH_SIZE:
        raise InvalidBatch({"convention_ids": [f"Au plus {MAX_BATCH_SIZE} conventions par lot."]})
    batch = DocumentBatch(
        id=uuid.uuid4(),
        status="queued",
        format=fmt,
        total=len(wanted),
        done=0,
        failed=0,
        archive_path=None,
        error=None,
        requested_by=requested_by,
        created_at=utcnow(),
        started_at=None,
        finished_at=None,
    )
    uow.session.add(batch)
    uow.session.flush()
    uow.session.execute(
        insert(DocumentBatchItem),
        [
            {
                "id": uuid.uuid4(),
                "batch_id": batch.id,
                "position": position,
                "convention_id": convention_id,
                "status": "pending",
            }
            for position, convention_id in enumerate(wanted, start=1)
        ],
    )
    uow.commit()
    return batch


def get_batch(uow: UnitOfWork, batch_id: uuid.UUID) -> DocumentBatch:
    batch = uow.session.get(DocumentBatch, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id)
    return batch


def archive_path(uow: UnitOfWork, batch_id: uuid.UUID, var_dir: Path) -> Path:
    batch = get_batch(uow, batch_id)
    if batch.status != "done" or batch.archive_path is None:
        raise BatchNotReady(batch.status)
    return var_dir / batch.archive_path


def _claim_next(database: Database) -> uuid.UUID | None:
    """Take the oldest queued (or interrupted) batch; the conditional UPDATE makes the claim exclusive."""
    with database.unit_of_work() as uow:
        candidate = uow.session.scalar(
            select(DocumentBatch.id)
            .where(DocumentBatch.status.in_(["queued", "running"]))
            .order_by(DocumentBatch.created_at)
            .limit(1)
        )
        if candidate is None:
            return None
        uow.session.execute(
            update(DocumentBatch)
            .where(DocumentBatch.id == candidate, DocumentBatch.status.in_(["queued", "running"]))
            .values(status="running", started_at=func.coalesce(DocumentBatch.started_at, utcnow()))
        )
        uow.commit()
        return candidate


def _render_item(
    database: Database, item_id: uuid.UUID, fmt: str, var_dir: Path, converter: Converter, today: date
) -> None:
    with database.unit_of_work() as uow:
        item = uow.session.get(DocumentBatchItem, item_id)
        assert item is not None
        try:
            stored = convention_document(uow, item.convention_id, fmt, var_dir, converter, today)
        except Exception as error:  # one document's failure must not stop the 3,999 others
            logger.exception("batch item %s failed", item_id)
            uow.rollback()
            item = uow.session.get(DocumentBatchItem, item_id)
            assert item is not None
            item.status, item.error = "failed", f"{type(error).__name__}: {error}"[:1000]
            counter = {"failed": DocumentBatch.failed + 1}
        else:
            item.status, item.document_id = "done", stored.record.id
            counter = {"done": DocumentBatch.done + 1}
        uow.session.execute(update(DocumentBatch).where(DocumentBatch.id == item.batch_id).values(**counter))
        uow.commit()


def _write_archive(database: Database, batch_id: uuid.UUID, var_dir: Path) -> str:
    relative = f"batches/{batch_id}.zip"
    target = var_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with database.unit_of_work() as uow:
        rows = uow.session.execute(
            select(
                DocumentBatchItem.position,
                Convention.reference,
                GeneratedDocument.path,
                GeneratedDocument.format,
            )
            .join(GeneratedDocument, GeneratedDocument.id == DocumentBatchItem.document_id)
            .join(Convention, Convention.id == DocumentBatchItem.convention_id)
            .where(DocumentBatchItem.batch_id == batch_id, DocumentBatchItem.status == "done")
            .order_by(DocumentBatchItem.position)
        ).all()
    # PDFs are already compressed: stored as they are, the archive is written at disk speed.
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
        for _, reference, path, fmt in rows:
            archive.write(var_dir / path, arcname=f"convention-{reference}.{fmt}")
    os.replace(temporary, target)
    return relative


def run_batch(
    database: Database,
    batch_id: uuid.UUID,
    var_dir: Path,
    converter: Converter,
    today: date,
    concurrency: int,
) -> DocumentBatch:
    """Render every pending item of the batch, `concurrency` at a time, then zip what was rendered."""
    with database.unit_of_work() as uow:
        batch = get_batch(uow, batch_id)
        fmt = batch.format
        pending = list(
            uow.session.scalars(
                select(DocumentBatchItem.id)
                .where(DocumentBatchItem.batch_id == batch_id, DocumentBatchItem.status == "pending")
                .order_by(DocumentBatchItem.position)
            )
        )
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in [
            pool.submit(_render_item, database, item, fmt, var_dir, converter, today) for item in pending
        ]:
            future.result()
    relative = _write_archive(database, batch_id, var_dir)
    with database.unit_of_work() as uow:
        batch = get_batch(uow, batch_id)
        batch.archive_path = relative
        batch.status = "done"
        batch.finished_at = utcnow()
        uow.commit()
        return batch


def run_document_batches(
    database: Database, var_dir: Path, converter: Converter, today: date, concurrency: int
) -> str:
    """The job: run every waiting batch, oldest first."""
    finished = []
    while (batch_id := _claim_next(database)) is not None:
        batch = run_batch(database, batch_id, var_dir, converter, today, concurrency)
        finished.append(f"{batch.id}: {batch.done} ok, {batch.failed} en échec")
    return "; ".join(finished) or "aucun lot en attente"
