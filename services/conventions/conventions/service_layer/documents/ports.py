"""What the document use cases need of the outside world: the unit of work (its repositories, its
transition log, the parameter tree) and the document adapters the composition root builds once.

Protocols only: the SQL ones are in conventions.adapters.document_repositories, the I/O ones in
conventions.adapters.{documents,converter,pdf,document_store}; the unit tests give fakes with the same
names (tests/unit/fakes_documents.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.signatures import PdfSignatures
from cnum_shared.core.state_machine import TransitionLog
from conventions.adapters.orm import (
    Contract,
    Convention,
    ConventionAmendment,
    DocumentBatch,
    DocumentBatchItem,
    DocumentDownload,
    FinalStatement,
    GeneratedDocument,
    RecoveryOrder,
    SignedCopy,
    TemplateVersion,
)
from conventions.domain.documents import BatchEntry, DocumentKey

# --- Repositories ---------------------------------------------------------------------------------------


class TemplateRepository(Protocol):
    def get(self, sha256: str) -> TemplateVersion | None: ...
    def stored_sha256s(self) -> set[str]:
        """The SHA-256 of every stored version, of every template (a small table)."""
        ...

    def add(self, template: TemplateVersion) -> None: ...
    def versions(self, template_name: str) -> Sequence[TemplateVersion]:
        """Every version, the latest `effective_from` first (then the latest uploaded)."""
        ...

    def in_force(self, template_name: str, legal_date: date) -> TemplateVersion | None:
        """The latest version whose `effective_from` is on or before `legal_date`."""
        ...


class GeneratedDocumentRepository(Protocol):
    def find(self, key: DocumentKey) -> GeneratedDocument | None: ...
    def add(self, document: GeneratedDocument) -> None: ...
    def with_sha256(self, sha256: str) -> GeneratedDocument | None:
        """The generated document whose stored file has this SHA-256 (a PDF as we sealed it)."""
        ...

    def purged(self, subject_id: uuid.UUID, template_name: str, fmt: str) -> list[tuple[str, str]]:
        """(format, SHA-256) of the purged versions of a subject's document, the oldest first."""
        ...


class DownloadLog(Protocol):
    def add(self, download: DocumentDownload) -> None: ...
    def of_convention(self, convention_id: uuid.UUID) -> Sequence[DocumentDownload]:
        """The lines of a convention's documents, the newest first."""
        ...


class SignedCopyRepository(Protocol):
    def get(self, copy_id: uuid.UUID) -> SignedCopy | None: ...
    def add(self, copy: SignedCopy) -> None: ...
    def of_convention(self, convention_id: uuid.UUID) -> Sequence[SignedCopy]:
        """A convention's countersigned copies, the newest first."""
        ...


class DocumentSubjects(Protocol):
    """The conventions, avenants and contracts documents are about (read only)."""

    def convention(self, convention_id: uuid.UUID) -> Convention | None: ...
    def amendment(self, amendment_id: uuid.UUID) -> ConventionAmendment | None: ...
    def contract(self, contract_id: uuid.UUID) -> Contract | None: ...
    def contracts_of(self, convention_id: uuid.UUID) -> list[Contract]:
        """Every contract signed for the convention, in one query."""
        ...

    def known_conventions(self, convention_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]: ...
    def signed_conventions(self) -> list[uuid.UUID]:
        """The signed or amended conventions, by reference."""
        ...


class DocumentBatchRepository(Protocol):
    def get(self, batch_id: uuid.UUID) -> DocumentBatch | None: ...
    def add(self, batch: DocumentBatch, convention_ids: Sequence[uuid.UUID]) -> None:
        """The batch and one pending item per convention, in this order."""
        ...

    def oldest_waiting(self) -> DocumentBatch | None:
        """The oldest batch a job may take: queued, or left running by a stopped job."""
        ...

    def claim(self, batch: DocumentBatch, status: str, started_at: Any) -> bool:
        """Mark it `status` if no one moved it meanwhile (a conditional UPDATE); False when someone did."""
        ...

    def waiting(self) -> list[uuid.UUID]:
        """Every batch queued or running, the oldest first."""
        ...

    def pending_items(self, batch_id: uuid.UUID) -> list[uuid.UUID]: ...
    def has_pending(self, batch_id: uuid.UUID) -> bool: ...
    def item(self, item_id: uuid.UUID) -> DocumentBatchItem | None: ...
    def count(self, batch_id: uuid.UUID, *, done: int = 0, failed: int = 0) -> None:
        """Add to the batch's counters in the database (items of one batch finish concurrently)."""
        ...

    def complete(
        self, item_id: uuid.UUID, status: str, *, document_id: uuid.UUID | None, error: str | None
    ) -> bool:
        """Move a pending item to `status` (a conditional UPDATE): False when it was no longer pending (a
        message delivered twice), so that it is counted once."""
        ...

    def mark_published(self, batch_id: uuid.UUID, queue: str) -> bool:
        """Record that the running batch's pending items went to `queue`, unless they already had (a
        conditional UPDATE): whether it did."""
        ...

    def rendered(self, batch_id: uuid.UUID) -> list[BatchEntry]:
        """The rendered items of a batch, in order."""
        ...


class BatchItemQueue(Protocol):
    """Where the items of the document batches go to be rendered (decision 0036): messages on a broker
    that workers consume, or an embedded queue in the scheduler process."""

    @property
    def identity(self) -> str:
        """The queue's name and place: messages published to it are still there, or went through, for as
        long as it keeps this identity (an embedded queue has a new one in each process)."""
        ...

    def publish(self, batch_id: uuid.UUID, item_ids: Sequence[uuid.UUID], today: date) -> None:
        """One message per item, rendered for the generation date `today`."""
        ...

    def drain(self) -> None:
        """Wait until what this process published went through (an embedded queue); a broker's returns
        at once (its workers are elsewhere)."""
        ...


class FinalStatementRepository(Protocol):
    """The final statements payments settled, from its `final_statement.settled` (decision 0033)."""

    def get(self, convention_id: uuid.UUID) -> FinalStatement | None: ...

    def add(self, statement: FinalStatement) -> None: ...

    def of_conventions(self, convention_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, FinalStatement]:
        """convention id → its statement, for those of `convention_ids` that have one."""
        ...


class RecoveryOrderRepository(Protocol):
    """The recoveries payments issued, from its `recovery.issued` (decision 0033)."""

    def get(self, recovery_id: uuid.UUID) -> RecoveryOrder | None: ...

    def add(self, order: RecoveryOrder) -> None: ...

    def page(
        self,
        *,
        structure_id: uuid.UUID | None,
        convention_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[RecoveryOrder], int]:
        """The orders, latest issued first, of one structure and/or one convention when given."""
        ...


class DocumentsUnitOfWork(Protocol):
    """What the document use cases need of the service's unit of work (service_layer/unit_of_work.py's
    ConventionsUnitOfWork has it all; the unit tests' fakes only this)."""

    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def generated_documents(self) -> GeneratedDocumentRepository: ...
    @property
    def downloads(self) -> DownloadLog: ...
    @property
    def signed_copies(self) -> SignedCopyRepository: ...
    @property
    def document_subjects(self) -> DocumentSubjects: ...
    @property
    def document_batches(self) -> DocumentBatchRepository: ...
    @property
    def final_statements(self) -> FinalStatementRepository: ...
    @property
    def recovery_orders(self) -> RecoveryOrderRepository: ...
    @property
    def history(self) -> TransitionLog:
        """Where the state machines write their transitions (the `status_changes` table)."""
        ...

    @property
    def parameters(self) -> ParameterNode:
        """The legal parameters (shared/parameters), loaded once by the composition root."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


# --- Adapters -----------------------------------------------------------------------------------------


class Converter(Protocol):
    """DOCX to PDF (the warm LibreOffice pool): raises the converter exceptions of domain.documents."""

    def convert(self, docx: bytes) -> bytes: ...


class DocumentRenderer(Protocol):
    """Templates and data to DOCX (docxtpl, sandboxed), and the checks of an uploaded template."""

    def render(self, template_name: str, template: bytes, data: Mapping[str, Any]) -> bytes:
        """The DOCX; RenderingRefused when the template cannot render this data."""
        ...

    def lint(self, template_name: str, template: bytes) -> list[str]:
        """What is wrong with an uploaded template (nothing: an empty list)."""
        ...

    def data_sha256(self, data: Mapping[str, Any]) -> str: ...
    def built_in(self, template_name: str) -> Sequence[tuple[date, bytes]]:
        """The editions of the template shipped with the code: (effective from, DOCX), oldest first."""
        ...


class MetadataUpdate(Protocol):
    """A change of a PDF's metadata, which the seal writes in its own incremental update: given the XMP
    packet (None when there is none) and the Info entries, the new packet and the new Info entries."""

    def __call__(self, packet: bytes | None, info: dict[str, str], /) -> tuple[bytes, dict[str, str]]: ...


class PdfTools(Protocol):
    def provenance(
        self, *, template_name: str, template_sha256: str, data_sha256: str, generator: str
    ) -> MetadataUpdate:
        """The metadata that states a generated PDF's provenance (template, version, data hash, generator),
        for the seal to write."""
        ...

    def pages(self, pdf: bytes) -> int:
        """The pages of an uploaded PDF; UnreadablePdf when it is not a plain, readable PDF."""
        ...


class DocumentSeal(Protocol):
    """The agency's electronic seal (PAdES, pyHanko): put on every generated PDF, checked on uploads."""

    def seal(self, pdf: bytes, metadata: MetadataUpdate | None = None) -> bytes:
        """The same PDF with the seal added as an incremental update, signed now (the service's clock);
        that update also carries the `metadata` given, so the seal covers it."""
        ...

    def check(self, pdf: bytes) -> PdfSignatures:
        """Every signature of the PDF, checked; UnreadablePdf when it cannot be read."""
        ...


class FileStore(Protocol):
    """Files under the service's var directory, by relative path."""

    def exists(self, path: str) -> bool: ...
    def read(self, path: str) -> bytes:
        """The bytes; OSError when the file is missing."""
        ...

    def write(self, path: str, content: bytes) -> None:
        """Written atomically: a reader sees the whole file or none."""
        ...

    def write_zip(self, path: str, members: Sequence[tuple[str, str]]) -> None:
        """An archive (stored, not compressed) of the files at `members`' paths, named as given."""
        ...

    def absolute(self, path: str) -> Path:
        """Where a stored file is, for sending it."""
        ...


class DocumentAdapters(Protocol):
    """The document adapters, built once by the composition root and handed to the use cases
    (conventions.adapters.documents.build_document_adapters)."""

    @property
    def converter(self) -> Converter: ...
    @property
    def renderer(self) -> DocumentRenderer: ...
    @property
    def pdf(self) -> PdfTools: ...
    @property
    def store(self) -> FileStore: ...
    @property
    def seal(self) -> DocumentSeal: ...
    @property
    def generator(self) -> str:
        """The name and version of this program, in every generated PDF's metadata."""
        ...
