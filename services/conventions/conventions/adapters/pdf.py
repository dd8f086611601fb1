"""PDF adapters: provenance metadata on what we generate, and checks on what people upload (pypdf)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from cnum_shared.framework.uploads import InvalidPdf, PdfFacts, check_pdf

__all__ = [
    "PROVENANCE_KEYS",
    "InvalidPdf",
    "PdfFacts",
    "check_uploaded_pdf",
    "provenance_of",
    "stamp_provenance",
]

#: Keys of the document information dictionary that say how a generated PDF was made (DESIGN §5).
PROVENANCE_KEYS = ("/CnumTemplate", "/CnumTemplateSha256", "/CnumDataSha256", "/CnumGenerator")


def stamp_provenance(
    pdf: bytes, *, template_name: str, template_sha256: str, data_sha256: str, generator: str
) -> bytes:
    """The same PDF with the template, its version, the data hash and the generator in its metadata."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata(
        {
            "/CnumTemplate": template_name,
            "/CnumTemplateSha256": template_sha256,
            "/CnumDataSha256": data_sha256,
            "/CnumGenerator": generator,
        }
    )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def provenance_of(pdf: bytes) -> dict[str, str]:
    """The provenance keys found in a PDF's metadata."""
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    if metadata is None:
        return {}
    return {key: str(metadata[key]) for key in PROVENANCE_KEYS if key in metadata}


def check_uploaded_pdf(content: bytes) -> PdfFacts:
    """Accept a real, unencrypted PDF without scripts, actions or links outside it; InvalidPdf otherwise
    (the checks are cnum_shared.framework.uploads', shared with the compliance evidence)."""
    return check_pdf(content)
