"""The countersigned convention: uploaded as a PDF, checked (its signatures too), hashed and kept;
served checked against its hash, every download logged."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import SignedCopy
from conventions.domain.documents import UnreadablePdf
from conventions.service_layer.documents.commands import DownloadSignedCopy, Reader, StoreSignedCopy
from conventions.service_layer.documents.downloads import record_signed_copy_download
from conventions.service_layer.documents.errors import (
    ConventionNotFound,
    InvalidSignedCopy,
    SignedCopyUnavailable,
)
from conventions.service_layer.documents.ports import DocumentAdapters, DocumentsUnitOfWork
from conventions.service_layer.documents.templates import sha256_of
from conventions.service_layer.documents.verification import (
    agency_seal_state,
    checked_signatures,
    signature_record,
)

logger = logging.getLogger(__name__)


def _check_visible(uow: DocumentsUnitOfWork, convention_id: uuid.UUID, reader: Reader) -> None:
    convention = uow.document_subjects.convention(convention_id)
    if convention is None or not reader.principal.may_see_structure(convention.structure_id):
        raise ConventionNotFound()


def store_signed_copy(
    uow: DocumentsUnitOfWork, command: StoreSignedCopy, adapters: DocumentAdapters
) -> SignedCopy:
    """Keep the countersigned PDF after checking it is a plain, readable PDF; each of its signatures is
    validated (intact, trusted, ours) and the result kept with it. A signature that is intact but from
    no trusted root is a state to show, not a refusal."""
    _check_visible(uow, command.convention_id, Reader(command.uploader))
    try:
        pages = adapters.pdf.pages(command.content)
    except UnreadablePdf as error:
        raise InvalidSignedCopy(str(error)) from error
    signatures = checked_signatures(adapters, command.content)
    sha256 = sha256_of(command.content)
    # The stored name is ours; the name the user gave is kept as text only, never as a path.
    relative = f"signed-copies/{command.convention_id}/{sha256}.pdf"
    adapters.store.write(relative, command.content)
    copy = SignedCopy(
        id=uuid.uuid4(),
        convention_id=command.convention_id,
        sha256=sha256,
        file_name=command.file_name,
        size_bytes=len(command.content),
        pages=pages,
        path=relative,
        uploaded_by=command.uploader.sub,
        created_at=utcnow(),
        signatures=[signature_record(check) for check in signatures.signatures],
        agency_seal=agency_seal_state(signatures),
    )
    uow.signed_copies.add(copy)
    uow.commit()
    return copy


def list_signed_copies(
    uow: DocumentsUnitOfWork, convention_id: uuid.UUID, reader: Reader
) -> Sequence[SignedCopy]:
    """The countersigned copies of a convention, the newest first."""
    _check_visible(uow, convention_id, reader)
    return uow.signed_copies.of_convention(convention_id)


def download_signed_copy(
    uow: DocumentsUnitOfWork, command: DownloadSignedCopy, adapters: DocumentAdapters
) -> tuple[SignedCopy, bytes]:
    """A countersigned copy and its bytes, checked against the SHA-256 taken at upload; logged.

    Unlike a generated document, it cannot be made again: a missing or altered file is reported (logged
    as an error) rather than served.
    """
    _check_visible(uow, command.convention_id, command.reader)
    copy = uow.signed_copies.get(command.copy_id)
    if copy is None or copy.convention_id != command.convention_id:
        raise SignedCopyUnavailable("copie signée introuvable")
    try:
        content = adapters.store.read(copy.path)
    except OSError:
        content = b""
    if sha256_of(content) != copy.sha256:
        logger.error("countersigned copy %s: file %s missing or altered", copy.id, copy.path)
        raise SignedCopyUnavailable("le fichier conservé manque ou ne correspond plus à son empreinte")
    record_signed_copy_download(uow, copy, command.reader)
    return copy, content
