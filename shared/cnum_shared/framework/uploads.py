"""Files users upload and files the services store: one way to write them, name them, tell their type
and check that they are what they claim to be (DESIGN §4, issue 15 point 5).

An upload is believed only once it has been read whole as the type its first bytes claim: a PNG is
decoded to its last pixel and ends at its IEND chunk, a JPEG is decoded and ends at its EOI marker, a
PDF is parsed by pypdf and its whole object graph walked for active content (scripts, launched programs,
forms that post, links to other files, embedded files). A PNG header followed by HTML is not a PNG.
"""

from __future__ import annotations

import io
import os
import re
import struct
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

#: The formats structures may upload (evidence, RIBs), recognised by their first bytes.
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}

#: A scan of an A4 page at 600 dpi is about 35 million pixels; more is a decompression bomb, not a proof.
MAX_IMAGE_PIXELS = 60_000_000
#: A countersigned convention, a RIB or an invoice is a few hundred objects; this bounds a hostile file.
MAX_PDF_OBJECTS_WALKED = 200_000
#: At most this many findings are named in a refusal (a hostile file may carry thousands).
MAX_FINDINGS_NAMED = 5

#: PDF actions (`/S`) that reach outside the document or run something.
_ACTIVE_ACTIONS = {
    "/JavaScript": "script JavaScript",
    "/Launch": "lancement d'un programme (Launch)",
    "/SubmitForm": "envoi de formulaire (SubmitForm)",
    "/ImportData": "import de données (ImportData)",
    "/GoToR": "lien vers un autre fichier (GoToR)",
    "/GoToE": "lien vers un fichier incorporé (GoToE)",
    "/Rendition": "lecture multimédia (Rendition)",
    "/RichMediaExecute": "contenu multimédia actif (RichMediaExecute)",
    "/Movie": "lecture de vidéo (Movie)",
    "/Sound": "lecture de son (Sound)",
}
#: Keys whose presence alone makes a PDF act rather than show.
_ACTIVE_KEYS = {
    "/JavaScript": "scripts JavaScript (JavaScript)",
    "/JS": "script JavaScript (JS)",
    "/AA": "actions automatiques (AA)",
    "/EmbeddedFiles": "fichiers incorporés (EmbeddedFiles)",
    "/EF": "fichier incorporé (EF)",
    "/RichMediaContent": "contenu multimédia (RichMedia)",
    "/XFA": "formulaire XFA",
}
#: Object types and annotation subtypes that carry files or media.
_ACTIVE_TYPES = {
    "/EmbeddedFile": "fichier incorporé (EmbeddedFile)",
    "/FileAttachment": "pièce jointe (FileAttachment)",
    "/RichMedia": "contenu multimédia (RichMedia)",
    "/Screen": "annotation multimédia (Screen)",
    "/Movie": "vidéo (Movie)",
    "/Sound": "son (Sound)",
    "/3D": "contenu 3D",
}
#: Schemes a link (`/URI`) may use; `javascript:`, `file:`, `data:`, `smb:`… are refused.
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


class InvalidUpload(ValueError):
    """The upload is not a file we accept; the message says why, in French."""


class InvalidPdf(InvalidUpload):
    """The upload is not a PDF we accept; the message says why, in French."""


@dataclass(frozen=True)
class PdfFacts:
    pages: int


def write_atomically(path: Path, content: bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def safe_file_name(name: str | None, default: str) -> str:
    """The name a user gave, kept as text only: printable, no path separators, 255 characters at most."""
    kept = "".join(ch for ch in (name or default) if ch.isprintable() and ch not in "/\\")[:255]
    return kept or default


def media_type_of(content: bytes) -> str | None:
    """PDF, PNG or JPEG, as the first bytes claim (never the name or the client's claim): not yet
    believed; `checked_media_type` reads the whole file."""
    for signature, media_type in SIGNATURES.items():
        if content.startswith(signature):
            return media_type
    return None


def checked_media_type(content: bytes) -> str:
    """PDF, PNG or JPEG, read from the content and then parsed whole as that type; InvalidUpload otherwise."""
    media_type = media_type_of(content)
    if media_type is None:
        raise InvalidUpload("Seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu vérifié).")
    if media_type == "application/pdf":
        check_pdf(content)
    else:
        check_image(content, media_type)
    return media_type


# --- Images ---------------------------------------------------------------------------------------------


def check_image(content: bytes, media_type: str) -> None:
    """A PNG or JPEG decoded whole (Pillow `verify()` then `load()`), with nothing after its last byte."""
    label, pillow_format = {"image/png": ("PNG", "PNG"), "image/jpeg": ("JPEG", "JPEG")}[media_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    limit = f"{MAX_IMAGE_PIXELS:,}".replace(",", " ")
                    raise InvalidUpload(
                        f"L'image {label} fait {width} × {height} pixels (au plus {limit} pixels) : "
                        "elle est refusée."
                    )
                image.verify()
            with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                image.load()
    except InvalidUpload:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise InvalidUpload(
            f"Le fichier commence comme une image {label} mais ne se lit pas entièrement comme telle "
            f"({_reason(error)}) : il est refusé."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidUpload(
            f"L'image {label} est démesurée (« bombe de décompression ») : elle est refusée."
        ) from None
    trailing = _png_trailing_bytes(content) if media_type == "image/png" else _jpeg_trailing_bytes(content)
    if trailing:
        raise InvalidUpload(
            f"L'image {label} est suivie de {trailing} octets qui n'en font pas partie "
            "(fichier hybride) : elle est refusée."
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, UnidentifiedImageError):
        return "format non reconnu"
    text = str(error).strip()
    return f"{type(error).__name__} : {text[:120]}" if text else type(error).__name__


def _png_trailing_bytes(content: bytes) -> int:
    """How many bytes follow the IEND chunk (Pillow has checked the chunks up to it)."""
    position = 8
    while position + 8 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        kind = content[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return max(0, len(content) - position)
    return 0


def _jpeg_trailing_bytes(content: bytes) -> int:
    """How many bytes follow the EOI marker (zero padding, which some scanners add, excepted)."""
    end = len(content.rstrip(b"\x00"))
    if content[:end].endswith(b"\xff\xd9"):
        return 0
    eoi = content.rfind(b"\xff\xd9")
    return end - (eoi + 2) if eoi >= 0 else end


# --- PDF ------------------------------------------------------------------------------------------------


def check_pdf(content: bytes) -> PdfFacts:
    """A real, unencrypted PDF of at least one page whose object graph holds no active content (scripts,
    launched programs, forms that post, links to other files or to scripts, embedded files, XFA);
    InvalidPdf otherwise, naming what was found and where."""
    if not content.startswith(b"%PDF-"):
        raise InvalidPdf("Le fichier n'est pas un PDF (signature %PDF absente).")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise InvalidPdf(
                "Le PDF est chiffré ou protégé par un mot de passe : déposez une version non protégée."
            )
        pages = len(reader.pages)
        findings = active_content(reader.trailer["/Root"])
    except InvalidPdf:
        raise
    except (
        PyPdfError,
        PdfReadError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as error:
        raise InvalidPdf(f"Le PDF est illisible ({type(error).__name__}).") from None
    if pages < 1:
        raise InvalidPdf("Le PDF ne contient aucune page.")
    if findings:
        named = " ; ".join(findings[:MAX_FINDINGS_NAMED])
        more = (
            f" ; et {len(findings) - MAX_FINDINGS_NAMED} autres" if len(findings) > MAX_FINDINGS_NAMED else ""
        )
        raise InvalidPdf(f"Le PDF contient du contenu actif : {named}{more}. Il est refusé.")
    return PdfFacts(pages=pages)


def active_content(root: Any) -> list[str]:
    """What makes a PDF act, each with the path where it was found (`/Root/OpenAction/S`), walking every
    object reachable from the catalog once: pages, annotations, outlines, the names tree, the AcroForm."""
    findings: dict[str, None] = {}
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, str]] = [(root, "/Root")]
    walked = 0
    while stack:
        walked += 1
        if walked > MAX_PDF_OBJECTS_WALKED:
            raise InvalidPdf("Le PDF est trop complexe pour être vérifié : il est refusé.")
        item, path = stack.pop()
        item = _resolved(item, seen)
        if item is None:
            continue
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                name = str(key)
                at = f"{path}/{name.lstrip('/')}"
                if name in _ACTIVE_KEYS:
                    findings[f"{_ACTIVE_KEYS[name]} ({at})"] = None
                elif name in ("/S", "/Type", "/Subtype"):
                    kind = str(_resolved(value, set()))
                    table = _ACTIVE_ACTIONS if name == "/S" else _ACTIVE_TYPES
                    if kind in table:
                        findings[f"{table[kind]} ({at})"] = None
                elif name == "/URI":
                    problem = _link_problem(_resolved(value, set()))
                    if problem:
                        findings[f"{problem} ({at})"] = None
                elif name == "/OpenAction":
                    opened = _resolved(value, set())
                    if isinstance(opened, DictionaryObject) and str(opened.get("/S")) != "/GoTo":
                        findings[f"action à l'ouverture ({opened.get('/S', '?')}) ({at})"] = None
                stack.append((value, at))
        elif isinstance(item, ArrayObject):
            stack.extend((value, f"{path}[{index}]") for index, value in enumerate(item))
    return list(findings)


def _resolved(item: Any, seen: set[tuple[int, int]]) -> Any:
    """The object an indirect reference points to, or None when it was walked already."""
    while isinstance(item, IndirectObject):
        key = (item.idnum, item.generation)
        if key in seen:
            return None
        seen.add(key)
        item = item.get_object()
    return item


def _link_problem(uri: Any) -> str | None:
    text = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
    # Viewers ignore blanks and control characters inside a scheme ("java\tscript:"): so do we.
    compact = _INVISIBLE.sub("", text).lower()
    match = _SCHEME.match(compact)
    if match is None:
        return None if ":" not in compact.split("/", 1)[0] else f"lien au schéma illisible « {text[:40]} »"
    scheme = match.group(1)
    if scheme in _LINK_SCHEMES:
        return None
    return f"lien {scheme}: (seuls http, https et mailto sont admis)"
