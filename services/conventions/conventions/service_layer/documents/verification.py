"""Is this PDF one of ours, and untouched? The agency's seal checked, and the sealed file found again.

A PDF is ours when its agency seal verifies, nothing but signatures or validation data came after it,
and the file as sealed (the revision the seal covers) has the SHA-256 of a document we generated and
stored: the same test holds for a countersigned copy, whose first revision is our file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cnum_shared.core.signatures import PdfSignatures, SignatureCheck
from conventions.adapters.orm import GeneratedDocument
from conventions.domain.documents import UnreadablePdf
from conventions.service_layer.documents.commands import Reader, VerifyDocument
from conventions.service_layer.documents.errors import InvalidSignedCopy
from conventions.service_layer.documents.ports import DocumentAdapters, DocumentsUnitOfWork


@dataclass(frozen=True)
class DocumentVerification:
    #: Our seal, intact, on a file we generated.
    ours: bool
    #: Our seal verifies and nothing but signatures came after it.
    intact: bool
    #: The generated document the file is (None when none, or when the reader may not see it).
    document: GeneratedDocument | None
    signatures: tuple[SignatureCheck, ...]


def checked_signatures(adapters: DocumentAdapters, content: bytes) -> PdfSignatures:
    """The signatures of an uploaded PDF; a 422 when it is no PDF at all."""
    if not content.startswith(b"%PDF-"):
        raise InvalidSignedCopy("Le fichier n'est pas un PDF (signature %PDF absente).")
    try:
        return adapters.seal.check(content)
    except UnreadablePdf as error:
        raise InvalidSignedCopy(str(error)) from error


def signature_record(check: SignatureCheck) -> dict[str, Any]:
    """A checked signature as stored with a countersigned copy (JSON)."""
    record = asdict(check)
    record["signed_at"] = check.signed_at.isoformat() if check.signed_at else None
    record["changes_after"] = check.changes_after.value
    return record


def agency_seal_state(result: PdfSignatures) -> str:
    """`intact`, `altered` (our seal is there but the file changed under it) or `absent`."""
    if result.sealed_and_intact:
        return "intact"
    return "altered" if result.seal is not None else "absent"


def verify_document(
    uow: DocumentsUnitOfWork, command: VerifyDocument, adapters: DocumentAdapters
) -> DocumentVerification:
    """Check every signature of the PDF and look for the document our seal covers."""
    result = checked_signatures(adapters, command.content)
    seal = result.seal
    document = uow.generated_documents.with_sha256(seal.revision_sha256) if seal is not None else None
    intact = result.sealed_and_intact
    return DocumentVerification(
        ours=intact and document is not None,
        intact=intact,
        document=document if document is not None and _visible(uow, document, command.reader) else None,
        signatures=result.signatures,
    )


def _visible(uow: DocumentsUnitOfWork, document: GeneratedDocument, reader: Reader) -> bool:
    convention = uow.document_subjects.convention(document.convention_id)
    return convention is not None and reader.principal.may_see_structure(convention.structure_id)
