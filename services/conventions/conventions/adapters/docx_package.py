"""A DOCX opened safely: the archive checked before any XML is parsed (size, compression ratio, member
count, no DTD in any part), every relationship and field that would reach outside the document refused.
Used on the templates people upload and on what a trial rendering produces (template_lint.py), and on
every template before it is rendered (documents.py)."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate
from lxml import etree

#: An uploaded template larger than this once decompressed is refused (a real one is well under 1 MB).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
#: A member that decompresses to more than this many times its compressed size is a zip bomb.
MAX_COMPRESSION_RATIO = 100
#: A DOCX has a few dozen parts; thousands of tiny members are an attack on the parser, not a letter.
MAX_MEMBERS = 1000
#: Relationship types a template may not carry, internal or external, with what they are in French.
FORBIDDEN_RELATIONSHIPS = {
    "oleObject": "un objet OLE",
    "package": "un document incorporé (package)",
    "attachedTemplate": "un modèle attaché (attachedTemplate)",
    "subDocument": "un sous-document (subDocument)",
    "frame": "un cadre chargeant une page (frame)",
    "aFChunk": "un contenu importé (altChunk)",
    "control": "un contrôle ActiveX",
    "activeXControlBinary": "un contrôle ActiveX",
    "vbaProject": "une macro VBA",
    "mailMergeSource": "une source de publipostage",
    "mailMergeHeaderSource": "une source de publipostage",
    "recipientData": "une source de publipostage",
}
#: The only external targets a template may carry: hyperlinks that a reader clicks, which nothing follows
#: by itself (neither Word on opening nor LibreOffice when converting). A link to a file or a share
#: (file:, a UNC path, smb:, a relative path) is refused: following it runs or fetches something locally
#: and hands the reader's Windows credentials to whoever holds the share.
EXTERNAL_LINKS = frozenset({"http", "https", "mailto"})

_DOCUMENT_PART = "word/document.xml"
_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Field codes that fetch or run something outside the document when it is opened or its fields updated.
_FETCHING_FIELD = re.compile(
    r"\b(INCLUDEPICTURE|INCLUDETEXT|LINK|DDEAUTO|DDE|IMPORT|DATABASE)\b", re.IGNORECASE
)
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class TemplateNotDocx(ValueError):
    """The bytes are not a DOCX we accept (not a ZIP, no document part, a zip bomb, a DTD); in French."""


def _check_archive(content: bytes) -> None:
    """Refuse what is not a DOCX, or is a hostile one, before python-docx parses any XML."""
    if not isinstance(content, bytes | bytearray) or not zipfile.is_zipfile(io.BytesIO(content)):
        raise TemplateNotDocx("Le fichier n'est pas un document Word (.docx) : ce n'est pas une archive ZIP.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise TemplateNotDocx(
                    f"Le fichier contient {len(members)} éléments (au plus {MAX_MEMBERS}) : il est refusé."
                )
            names = {member.filename for member in members}
            if _DOCUMENT_PART not in names:
                raise TemplateNotDocx(
                    "Le fichier n'est pas un document Word (.docx) : la partie word/document.xml est absente."
                )
            total = sum(member.file_size for member in members)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise TemplateNotDocx(
                    f"Le document décompressé ferait {total // (1024 * 1024)} Mo (au plus "
                    f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} Mo) : il est refusé."
                )
            for member in members:
                if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
                    raise TemplateNotDocx(
                        f"L'élément {member.filename} est compressé plus de {MAX_COMPRESSION_RATIO} fois "
                        "(archive piégée, « zip bomb ») : le document est refusé."
                    )
            for member in members:
                # Sizes were checked above, and zipfile stops at the declared size: reading is bounded.
                _check_part(member.filename, archive.read(member))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, OSError) as error:
        raise TemplateNotDocx(f"L'archive du document est illisible ({type(error).__name__}).") from None


def check_package(content: bytes) -> None:
    """The checks of every part and relationship, on a DOCX known to be a sound ZIP: a trial rendering
    is checked again, since a template could write a field code or a relationship with Jinja."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for member in archive.infolist():
            _check_part(member.filename, archive.read(member))


def _check_part(name: str, blob: bytes) -> None:
    """One part of the package, whatever its name or extension: no DTD in anything that reads as XML
    (in any encoding lxml knows), no relationship reaching outside the document, no field that fetches."""
    if _has_dtd(blob):
        raise TemplateNotDocx(_dtd_refusal(name))
    tree = _as_xml(blob)
    if tree is None:
        return  # not XML (an image, a font): python-docx does not parse it either
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise TemplateNotDocx(_dtd_refusal(name))
    root = tree.getroot()
    if root.tag == f"{{{_RELATIONSHIPS_NS}}}Relationships":
        for relationship in root.iter(f"{{{_RELATIONSHIPS_NS}}}Relationship"):
            problem = _relationship_problem(relationship)
            if problem:
                raise TemplateNotDocx(
                    f"La partie {name} déclare la relation {relationship.get('Id', '?')} "
                    f"({_short_type(relationship.get('Type', ''))}, cible « "
                    f"{(relationship.get('Target') or '')[:120]} ») : {problem} Le modèle est refusé."
                )
        return
    instructions = [
        *(element.text or "" for element in root.iter(f"{{{_WORD_NS}}}instrText")),
        *(element.get(f"{{{_WORD_NS}}}instr", "") for element in root.iter(f"{{{_WORD_NS}}}fldSimple")),
    ]
    found = _FETCHING_FIELD.search(" ".join(instructions))
    if found:
        raise TemplateNotDocx(
            f"La partie {name} contient un champ {found.group(1).upper()}, qui charge un contenu extérieur "
            "au document : le modèle est refusé."
        )


def _has_dtd(xml: bytes) -> bool:
    return any(marker in xml for marker in _DTD_MARKERS)


def _dtd_refusal(name: str) -> str:
    return (
        f"L'élément {name} contient une déclaration DOCTYPE ou ENTITY, qu'un document Word ne contient "
        "jamais : le document est refusé."
    )


def _as_xml(blob: bytes) -> Any:
    """The part parsed by lxml without loading, resolving or fetching anything; None when it is not XML."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(blob, parser).getroottree()
    except (etree.XMLSyntaxError, ValueError):
        return None


def _short_type(relationship_type: str) -> str:
    return relationship_type.rstrip("/").rpartition("/")[2] or "type inconnu"


def _relationship_problem(relationship: Any) -> str | None:
    """Why a relationship is refused, in French, or None (FORBIDDEN_RELATIONSHIPS, EXTERNAL_LINKS)."""
    kind = _short_type(relationship.get("Type", ""))
    if kind in FORBIDDEN_RELATIONSHIPS:
        return f"{FORBIDDEN_RELATIONSHIPS[kind]} est interdit dans un modèle."
    if (relationship.get("TargetMode") or "").strip().lower() != "external":
        return None
    target = (relationship.get("Target") or "").strip()
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?", target)
    name = scheme.group(1).lower() if scheme else ""
    if kind == "hyperlink" and name in EXTERNAL_LINKS and (name == "mailto" or (scheme and scheme.group(2))):
        return None
    if kind == "hyperlink":
        return (
            "un lien vers un fichier ou un partage réseau est interdit (seuls les liens http, https et "
            "mailto sont admis)."
        )
    return "une ressource chargée hors du document (relation externe) est interdite."


#: SHA-256 of the templates that passed the archive checks in this process: the same three templates
#: are rendered thousands of times in a batch, and checking them again each time cost a fifth of a render.
_CHECKED: set[str] = set()


def open_template(content: bytes) -> Any:
    """A DocxTemplate whose package python-docx has read, after the archive checks."""
    digest = hashlib.sha256(content).hexdigest() if isinstance(content, bytes | bytearray) else ""
    if digest not in _CHECKED:
        _check_archive(content)
        if digest:
            _CHECKED.add(digest)
    template = DocxTemplate(io.BytesIO(content))
    try:
        template.init_docx()
    except Exception as error:  # python-docx raises many kinds on a broken package
        raise TemplateNotDocx(f"Le document Word est illisible ({type(error).__name__}).") from None
    return template


def has_core_properties(template: Any) -> bool:
    # Asked of the relationships, not of `core_properties`, which would create the part with today's date.
    return any(rel.reltype == RT.CORE_PROPERTIES for rel in template.docx.part.package.rels.values())
