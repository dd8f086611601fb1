"""PDF adapters: provenance metadata on what we generate, and checks on what people upload (pypdf)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

#: Keys of the document information dictionary that say how a generated PDF was made (DESIGN §5).
PROVENANCE_KEYS = ("/CnumTemplate", "/CnumTemplateSha256", "/CnumDataSha256", "/CnumGenerator")

#: Names that make a PDF act rather than show: scripts, launched programs, actions run on opening.
_ACTIVE_NAMES = frozenset(
    {"/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA"}
)
#: A scan of a signed convention has a few pages; this guards the walk of a hostile file.
_MAX_OBJECTS_WALKED = 200_000


class InvalidPdf(ValueError):
    """The upload is not a PDF we accept; the message says why, in French."""


@dataclass(frozen=True)
class PdfFacts:
    pages: int


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
    """Accept a real, unencrypted PDF without scripts or actions; InvalidPdf otherwise."""
    if not content.startswith(b"%PDF-"):
        raise InvalidPdf("Le fichier n'est pas un PDF (signature %PDF absente).")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise InvalidPdf(
                "Le PDF est chiffré ou protégé par un mot de passe : déposez une version non protégée."
            )
        pages = len(reader.pages)
        root = reader.trailer["/Root"]
        active = _active_name(root)
    except InvalidPdf:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, RecursionError) as error:
        raise InvalidPdf(f"Le PDF est illisible ({type(error).__name__}).") from None
    if pages < 1:
        raise InvalidPdf("Le PDF ne contient aucune page.")
    if active is not None:
        raise InvalidPdf(f"Le PDF contient du contenu actif ({active.lstrip('/')}) : il est refusé.")
    return PdfFacts(pages=pages)


def _active_name(root: Any) -> str | None:
    """The first active name reachable from the catalog, walking each object once."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    walked = 0
    while stack:
        walked += 1
        if walked > _MAX_OBJECTS_WALKED:
            raise InvalidPdf("Le PDF est trop complexe pour être vérifié.")
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in _ACTIVE_NAMES:
                    return str(name)
                if name == "/S" and value in ("/JavaScript", "/Launch"):
                    return str(value)
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None
