"""The typed commands of the document use cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cnum_shared.framework.auth import Principal


@dataclass(frozen=True)
class Reader:
    """Who asks for a document, as the download log records it; a structure user sees only her own."""

    principal: Principal
    client_address: str | None = None


@dataclass(frozen=True)
class UploadTemplateVersion:
    template_name: str
    content: bytes
    effective_from: date
    uploaded_by: str


@dataclass(frozen=True)
class DownloadConventionDocument:
    convention_id: uuid.UUID
    format: str
    #: The generation date the document states (not part of its data hash).
    today: date
    reader: Reader


@dataclass(frozen=True)
class DownloadAmendmentDocument:
    convention_id: uuid.UUID
    amendment_id: uuid.UUID
    format: str
    today: date
    reader: Reader


@dataclass(frozen=True)
class DownloadContractAvenant:
    contract_id: uuid.UUID
    format: str
    today: date
    reader: Reader


@dataclass(frozen=True)
class DownloadFinalStatement:
    """The final statement of a closed convention, once payments' `final_statement.settled` arrived."""

    convention_id: uuid.UUID
    format: str
    today: date
    reader: Reader


@dataclass(frozen=True)
class DownloadRecoveryOrder:
    """The order of a recovery payments issued (`recovery.issued`)."""

    recovery_id: uuid.UUID
    format: str
    today: date
    reader: Reader


@dataclass(frozen=True)
class StoreSignedCopy:
    convention_id: uuid.UUID
    content: bytes
    #: The name the user gave, kept as text only (never a path).
    file_name: str
    uploader: Principal


@dataclass(frozen=True)
class VerifyDocument:
    """A PDF someone asks about: is it one of ours, untouched?"""

    content: bytes
    reader: Reader


@dataclass(frozen=True)
class DownloadSignedCopy:
    convention_id: uuid.UUID
    copy_id: uuid.UUID
    reader: Reader


@dataclass(frozen=True)
class RequestBatch:
    #: None or empty: every signed or amended convention.
    convention_ids: Sequence[uuid.UUID] | None
    format: str
    requested_by: str


@dataclass(frozen=True)
class RunDocumentBatches:
    #: The generation date the documents state.
    today: date
    #: Documents rendered at once: as many as the converter has workers.
    concurrency: int
    #: Who the history names for the job's moves.
    actor: str = "run_document_batches"


@dataclass(frozen=True)
class RenderBatchItem:
    """One message of the batch queue: an item to render (decision 0036)."""

    item_id: uuid.UUID
    #: The generation date the document states (the job's legal date).
    today: date
    #: Who the history names when this item was the batch's last and its worker finishes the batch.
    actor: str = "document_batch_worker"
