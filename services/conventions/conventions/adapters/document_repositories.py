"""The SQL of the documents: one repository per kind of row (service_layer/documents/ports.py says what
each offers), and `open_document_repositories`, which attaches them to a unit of work's session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cnum_shared.framework.db import among
from conventions.adapters.background_runs import SqlRunRepository
from conventions.adapters.orm import (
    Contract,
    Convention,
    ConventionAmendment,
    DocumentBatch,
    DocumentBatchItem,
    DocumentDownload,
    GeneratedDocument,
    SignedCopy,
    TemplateVersion,
)
from conventions.domain.conventions import ConventionStatus
from conventions.domain.document_batches import WAITING, BatchItemStatus, BatchStatus
from conventions.domain.documents import BatchEntry, DocumentKey, Duplicate


def _add(session: Session, row: Any) -> None:
    """Add and flush, so that a row another transaction wrote first is known now (Duplicate)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as error:
        raise Duplicate(str(error)) from error


class SqlTemplateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sha256: str) -> TemplateVersion | None:
        return self.session.get(TemplateVersion, sha256)

    def stored_sha256s(self) -> set[str]:
        return set(self.session.scalars(select(TemplateVersion.sha256)))

    def add(self, template: TemplateVersion) -> None:
        _add(self.session, template)

    def versions(self, template_name: str) -> Sequence[TemplateVersion]:
        return self.session.scalars(
            select(TemplateVersion)
            .where(TemplateVersion.template_name == template_name)
            .order_by(TemplateVersion.effective_from.desc(), TemplateVersion.created_at.desc())
        ).all()

    def in_force(self, template_name: str, legal_date: date) -> TemplateVersion | None:
        return self.session.scalars(
            select(TemplateVersion)
            .where(
                TemplateVersion.template_name == template_name, TemplateVersion.effective_from <= legal_date
            )
            .order_by(TemplateVersion.effective_from.desc(), TemplateVersion.created_at.desc())
            .limit(1)
        ).first()


class SqlGeneratedDocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, key: DocumentKey) -> GeneratedDocument | None:
        return self.session.scalars(
            select(GeneratedDocument).where(
                GeneratedDocument.subject_id == key.subject_id,
                GeneratedDocument.template_name == key.template_name,
                GeneratedDocument.format == key.format,
                GeneratedDocument.template_sha256 == key.template_sha256,
                GeneratedDocument.data_sha256 == key.data_sha256,
            )
        ).first()

    def add(self, document: GeneratedDocument) -> None:
        _add(self.session, document)

    def with_sha256(self, sha256: str) -> GeneratedDocument | None:
        return self.session.scalars(
            select(GeneratedDocument).where(GeneratedDocument.sha256 == sha256).limit(1)
        ).first()

    def purged(self, subject_id: uuid.UUID, template_name: str, fmt: str) -> list[tuple[str, str]]:
        rows = self.session.execute(
            select(GeneratedDocument.format, GeneratedDocument.sha256)
            .where(
                GeneratedDocument.subject_id == subject_id,
                GeneratedDocument.template_name == template_name,
                GeneratedDocument.format == fmt,
                GeneratedDocument.purged_on.is_not(None),
            )
            .order_by(GeneratedDocument.created_at, GeneratedDocument.id)
        ).all()
        return [(row[0], row[1]) for row in rows]


class SqlDownloadLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, download: DocumentDownload) -> None:
        self.session.add(download)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[DocumentDownload]:
        return self.session.scalars(
            select(DocumentDownload)
            .where(DocumentDownload.convention_id == convention_id)
            .order_by(DocumentDownload.downloaded_at.desc(), DocumentDownload.id)
        ).all()


class SqlSignedCopyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, copy_id: uuid.UUID) -> SignedCopy | None:
        return self.session.get(SignedCopy, copy_id)

    def add(self, copy: SignedCopy) -> None:
        self.session.add(copy)

    def of_convention(self, convention_id: uuid.UUID) -> Sequence[SignedCopy]:
        return self.session.scalars(
            select(SignedCopy)
            .where(SignedCopy.convention_id == convention_id)
            .order_by(SignedCopy.created_at.desc(), SignedCopy.id)
        ).all()


class SqlDocumentSubjects:
    def __init__(self, session: Session) -> None:
        self.session = session

    def convention(self, convention_id: uuid.UUID) -> Convention | None:
        return (
            self.session.scalars(select(Convention).where(Convention.id == convention_id))
            .unique()
            .one_or_none()
        )

    def amendment(self, amendment_id: uuid.UUID) -> ConventionAmendment | None:
        return self.session.get(ConventionAmendment, amendment_id)

    def contract(self, contract_id: uuid.UUID) -> Contract | None:
        return self.session.get(Contract, contract_id)

    def contracts_of(self, convention_id: uuid.UUID) -> list[Contract]:
        return list(self.session.scalars(select(Contract).where(Contract.convention_id == convention_id)))

    def known_conventions(self, convention_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        return set(
            self.session.scalars(
                select(Convention.id).where(among(self.session, Convention.id, list(convention_ids)))
            )
        )

    def signed_conventions(self) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(Convention.id)
                .where(Convention.status.in_([ConventionStatus.SIGNED.value, ConventionStatus.AMENDED.value]))
                .order_by(Convention.reference)
            )
        )


class SqlDocumentBatchRepository(SqlRunRepository[DocumentBatch, DocumentBatchItem]):
    run_model = DocumentBatch
    item_model = DocumentBatchItem
    parent = "batch_id"

    def add(self, batch: DocumentBatch, convention_ids: Sequence[uuid.UUID]) -> None:
        self.session.add(batch)
        self.session.flush()
        self.session.execute(
            insert(DocumentBatchItem),
            [
                {
                    "id": uuid.uuid4(),
                    "batch_id": batch.id,
                    "position": position,
                    "convention_id": convention_id,
                    "status": BatchItemStatus.PENDING,
                }
                for position, convention_id in enumerate(convention_ids, start=1)
            ],
        )

    def waiting(self) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(DocumentBatch.id)
                .where(DocumentBatch.status.in_(WAITING))
                .order_by(DocumentBatch.created_at, DocumentBatch.id)
            )
        )

    def has_pending(self, batch_id: uuid.UUID) -> bool:
        return (
            self.session.scalars(
                select(DocumentBatchItem.id)
                .where(
                    DocumentBatchItem.batch_id == batch_id,
                    DocumentBatchItem.status == BatchItemStatus.PENDING,
                )
                .limit(1)
            ).first()
            is not None
        )

    def complete(
        self, item_id: uuid.UUID, status: str, *, document_id: uuid.UUID | None, error: str | None
    ) -> bool:
        # Conditional: of two deliveries of one message, only the first moves the item and is counted.
        result = self.session.execute(
            update(DocumentBatchItem)
            .where(DocumentBatchItem.id == item_id, DocumentBatchItem.status == BatchItemStatus.PENDING)
            .values(status=status, document_id=document_id, error=error)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_published(self, batch_id: uuid.UUID, queue: str) -> bool:
        result = self.session.execute(
            update(DocumentBatch)
            .where(
                DocumentBatch.id == batch_id,
                DocumentBatch.status == BatchStatus.RUNNING,
                or_(DocumentBatch.published_to.is_(None), DocumentBatch.published_to != queue),
            )
            .values(published_to=queue)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def rendered(self, batch_id: uuid.UUID) -> list[BatchEntry]:
        rows = self.session.execute(
            select(
                DocumentBatchItem.position,
                Convention.reference,
                GeneratedDocument.path,
                GeneratedDocument.format,
            )
            .join(GeneratedDocument, GeneratedDocument.id == DocumentBatchItem.document_id)
            .join(Convention, Convention.id == DocumentBatchItem.convention_id)
            .where(DocumentBatchItem.batch_id == batch_id, DocumentBatchItem.status == BatchItemStatus.DONE)
            .order_by(DocumentBatchItem.position)
        ).all()
        return [BatchEntry(position, reference, path, fmt) for position, reference, path, fmt in rows]
