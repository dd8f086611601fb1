"""The download log: who downloaded which document of a convention, in which role, from where, when."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import DocumentDownload, GeneratedDocument, SignedCopy
from conventions.domain.documents import SIGNED_COPY
from conventions.service_layer.documents.commands import Reader
from conventions.service_layer.documents.errors import ConventionNotFound
from conventions.service_layer.documents.ports import DocumentsUnitOfWork


def record_download(
    uow: DocumentsUnitOfWork, document: GeneratedDocument, reader: Reader
) -> DocumentDownload:
    """A line for a generated document, committed at once."""
    return _log(
        uow,
        DocumentDownload(
            document_id=document.id,
            convention_id=document.convention_id,
            template_name=document.template_name,
            subject_id=document.subject_id,
            format=document.format,
            sha256=document.sha256,
            template_sha256=document.template_sha256,
        ),
        reader,
    )


def record_signed_copy_download(
    uow: DocumentsUnitOfWork, copy: SignedCopy, reader: Reader
) -> DocumentDownload:
    """A line for a countersigned copy (no template), committed at once."""
    return _log(
        uow,
        DocumentDownload(
            signed_copy_id=copy.id,
            convention_id=copy.convention_id,
            template_name=SIGNED_COPY,
            subject_id=copy.convention_id,
            format="pdf",
            sha256=copy.sha256,
            template_sha256=None,
        ),
        reader,
    )


def _log(uow: DocumentsUnitOfWork, download: DocumentDownload, reader: Reader) -> DocumentDownload:
    download.id = uuid.uuid4()
    download.downloaded_by = reader.principal.sub
    download.role = reader.principal.role.value
    download.client_address = reader.client_address
    download.downloaded_at = utcnow()
    uow.downloads.add(download)
    uow.commit()
    return download


def list_downloads(uow: DocumentsUnitOfWork, convention_id: uuid.UUID) -> Sequence[DocumentDownload]:
    """The download log of a convention's documents, the newest first."""
    if uow.document_subjects.convention(convention_id) is None:
        raise ConventionNotFound()
    return uow.downloads.of_convention(convention_id)
