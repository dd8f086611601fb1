"""The document batch's state machine and progress (domain/document_batches.py), pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from cnum_shared.core.state_machine import TransitionList, TransitionRefused
from conventions.domain.document_batches import (
    DOCUMENT_BATCH,
    BatchEvent,
    BatchStatus,
    claim_event,
    progress,
)

AT = datetime(2026, 11, 25, 8, tzinfo=UTC)


@dataclass
class Batch:
    id: uuid.UUID
    status: BatchStatus


def test_a_queued_batch_starts_and_a_running_one_finishes():
    batch, log = Batch(uuid.uuid4(), BatchStatus.QUEUED), TransitionList()

    DOCUMENT_BATCH.apply(batch, BatchEvent.START, actor="job", reason="", at=AT, log=log)
    DOCUMENT_BATCH.apply(batch, BatchEvent.FINISH, actor="job", reason="", at=AT, log=log)

    assert batch.status is BatchStatus.DONE
    assert [(t.from_status, t.to_status) for t in log.of(batch.id)] == [
        ("queued", "running"),
        ("running", "done"),
    ]


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (BatchStatus.QUEUED, BatchEvent.FINISH),
        (BatchStatus.QUEUED, BatchEvent.RESUME),
        (BatchStatus.DONE, BatchEvent.START),
        (BatchStatus.DONE, BatchEvent.RESUME),
        (BatchStatus.RUNNING, BatchEvent.START),
    ],
)
def test_a_move_the_table_does_not_allow_is_refused_and_not_logged(status, event):
    batch, log = Batch(uuid.uuid4(), status), TransitionList()

    with pytest.raises(TransitionRefused) as refused:
        DOCUMENT_BATCH.apply(batch, event, actor="job", reason="", at=AT, log=log)

    assert refused.value.status == 409
    assert batch.status is status and log.transitions == []


def test_the_job_starts_a_queued_batch_and_resumes_a_running_one():
    assert claim_event(BatchStatus.QUEUED) is BatchEvent.START
    assert claim_event("running") is BatchEvent.RESUME


@pytest.mark.parametrize(
    ("done", "failed", "total", "expected"), [(0, 0, 3, 0), (1, 0, 3, 33), (2, 1, 3, 100), (0, 0, 0, 100)]
)
def test_progress_counts_the_failed_items_as_processed(done, failed, total, expected):
    assert progress(done, failed, total) == expected
