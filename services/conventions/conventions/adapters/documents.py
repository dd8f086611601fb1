"""DOCX documents: rendering a template with docxtpl, safely and reproducibly, and linting an upload.

Safety. A template is rendered in a sandboxed Jinja environment with autoescape and StrictUndefined:
- values are data, never code: a structure named `{{ 7*7 }}` is printed as typed, because Jinja
  renders the template once and never re-reads what a value contains;
- autoescape turns `<`, `>`, `&` and quotes of a value into XML entities, so no value can close a
  `<w:t>` or inject WordprocessingML; characters XML forbids (control characters) are dropped;
- a variable the context lacks stops the rendering (`TemplateRenderError`) instead of printing an
  empty string in a document someone will sign;
- the sandbox keeps an uploaded template from reaching Python internals (`__class__`, `__globals__`).
Archives are checked before any XML is parsed: size and compression ratio (zip bombs), member count, and
no DTD at all (external entities: a DOCX never carries a DOCTYPE, so one is refused outright; lxml as
python-docx configures it would not resolve it either).

Reproducibility. The same template and context give the same bytes: the ZIP entries carry a constant
date, and a template without core properties gets constant dates instead of python-docx's "now".
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import itertools
import json
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.pkgwriter import PackageWriter
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from conventions.adapters.document_context import (
    CONTEXT_SCHEMAS,
    SAMPLE_DATA,
    declared_variables,
    template_context,
)

__all__ = [
    "CONTEXT_SCHEMAS",
    "RenderLimitExceeded",
    "TemplateNotDocx",
    "TemplateRenderError",
    "data_sha256",
    "deterministic_zip",
    "lint_template",
    "render_docx",
    "template_context",
    "template_sha256",
]

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
#: Characters of XML one rendering may write, all parts together (the convention writes about 150 000).
MAX_RENDERED_CHARACTERS = 20_000_000
#: Seconds one rendering may take (the convention takes a few hundredths).
MAX_RENDER_SECONDS = 10.0
#: The longest text or list an expression of a template may compute.
MAX_TEMPLATE_TEXT = 1_000_000
#: The largest number a template may hand to a function or a filter (a width, a count, a range).
MAX_TEMPLATE_NUMBER = 100_000
#: ZIP's own epoch: every entry of a generated DOCX carries it, so that the bytes depend on content only.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Written as creation and modification dates when a template has no core properties of its own.
FIXED_TIMESTAMP = datetime(1980, 1, 1, tzinfo=UTC)

_DOCUMENT_PART = "word/document.xml"
#: The filter every loop of a rendered template goes through (a name no template can define).
_ITERATION_FILTER = "cnum_counted_iteration"
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
#: Characters XML 1.0 forbids (docxtpl would also read \a and \f as paragraph and page breaks).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Methods a template may call on a dict or a list of the context ("tranches|length" needs none).
_CONTAINER_METHODS = frozenset({"items", "keys", "values", "get", "index", "count"})
#: The core properties docxtpl renders as templates too.
_RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


class TemplateNotDocx(ValueError):
    """The bytes are not a DOCX we accept (not a ZIP, no document part, a zip bomb, a DTD); in French."""


class TemplateRenderError(ValueError):
    """The template could not be rendered with this context (a missing variable, a Jinja error)."""


# --- Hashes -------------------------------------------------------------------------------------------


def template_sha256(content: bytes) -> str:
    """SHA-256 of bytes, in hex: a template version's id, a stored document's checksum."""
    return hashlib.sha256(content).hexdigest()


def data_sha256(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a document's raw values (sorted keys; Decimal and dates as text)."""
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_scalar
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _json_scalar(value: object) -> str:
    # "67500.00" and "67500" are different data (the scale is part of a legal amount): str() keeps it.
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    raise TypeError(f"no canonical JSON for {type(value).__name__}")


# --- Rendering ----------------------------------------------------------------------------------------


def _environment() -> ImmutableSandboxedEnvironment:
    # Immutable: a template can read the context's lists and dicts, never change them. Bounded: see below.
    return _BoundedEnvironment()


# --- Bounds on a rendering --------------------------------------------------------------------------------
#
# A template is code a legal officer uploads. The sandbox keeps it from Python's internals; these bounds keep
# it from the machine: a loop nested in a loop, a text multiplied by a million, a recursive macro. Every
# loop, call, attribute read and operator of a template counts against a deadline, every text it writes
# against a size, and an operation whose result would be too large is refused before it runs. Outside
# `render_docx` (the linter's parsing) nothing is counted.


class RenderLimitExceeded(TemplateRenderError):
    """The rendering went past its time or size bound (a 422 at upload, a 409 at generation)."""


@dataclass
class _Budget:
    deadline: float
    characters_left: int
    ticks: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("cnum_render_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.ticks += 1
    if budget.ticks % 64 == 0 and time.monotonic() > budget.deadline:
        raise RenderLimitExceeded(
            f"Le rendu du modèle dépasse {MAX_RENDER_SECONDS:g} secondes (boucles ou appels démesurés) : "
            "il est interrompu."
        )


def _spend(characters: int) -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.characters_left -= characters
    if budget.characters_left < 0:
        raise RenderLimitExceeded(
            f"Le document rendu dépasserait {MAX_RENDERED_CHARACTERS // 1_000_000} millions de caractères : "
            "le rendu est interrompu."
        )


def _too_large(what: str) -> RenderLimitExceeded:
    return RenderLimitExceeded(
        f"Opération refusée dans le modèle : {what} dépasserait {MAX_TEMPLATE_TEXT:,} caractères ou "
        f"utiliserait un nombre supérieur à {MAX_TEMPLATE_NUMBER:,}.".replace(",", " ")
    )


def _check_result(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple | dict) and len(value) > MAX_TEMPLATE_TEXT:
        raise _too_large("une valeur calculée")
    return value


def _check_numbers(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_TEMPLATE_NUMBER:
            raise _too_large("un argument")


def _check_format(text: str) -> None:
    # A width or precision in a format string ("%999999999s", "{:>999999999}") allocates that much.
    if any(int(number) > MAX_TEMPLATE_NUMBER for number in re.findall(r"\d+", text)) or "*" in text:
        raise _too_large("un format")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else len(str(value))


def _bounded_range(*args: int) -> Iterator[int]:
    _check_numbers(args)
    for number in range(*args):
        _tick()
        yield number


def _bounded_iteration(iterable: Any) -> Iterator[Any]:
    """What every `{% for %}` of a template iterates over: the same items, each one counted."""
    for item in iterable:
        _tick()
        yield item


def _bounded_concat(pieces: Iterable[str]) -> str:
    written: list[str] = []
    for piece in pieces:
        _tick()
        _spend(len(piece))
        written.append(piece)
    return "".join(written)


def _bounded_filter(name: str, function: Any) -> Any:
    """A built-in filter with its arguments checked before it runs and its result after."""
    operands = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        value, rest = (args[operands - 1] if len(args) >= operands else None), args[operands:]
        _check_numbers((*rest, *kwargs.values()))
        if name == "format" and isinstance(value, str):
            _check_format(value)
        if name == "join" and value is not None and not isinstance(value, str | list | tuple):
            value = list(itertools.islice(iter(value), MAX_TEMPLATE_TEXT + 1))
            args = (*args[: operands - 1], value, *rest)
        if name == "join" and isinstance(value, list | tuple):
            separator = rest[0] if rest else kwargs.get("d", "")
            if sum(_size(item) for item in value) + _size(separator) * len(value) > MAX_TEMPLATE_TEXT:
                raise _too_large("un assemblage (join)")
        if name == "replace" and isinstance(value, str) and len(rest) >= 2:
            old, new = str(rest[0]), str(rest[1])
            if len(value) + value.count(old) * len(new) + (len(value) + 1) * len(new) * (not old) > (
                MAX_TEMPLATE_TEXT
            ):
                raise _too_large("un remplacement (replace)")
        return _check_result(function(*args, **kwargs))

    return bounded


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of every rendering, with the bounds above."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self.concat = _bounded_concat  # type: ignore[method-assign]
        self.globals["range"] = _bounded_range
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, function) for name, function in self.filters.items()}
        self.filters[_ITERATION_FILTER] = _bounded_iteration

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template's tree with every loop iterating through the counting filter."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _ITERATION_FILTER, [], [], None, None, lineno=loop.lineno)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            for times, operand in ((left, right), (right, left)):
                repeated = isinstance(times, int) and isinstance(operand, str | list | tuple)
                if repeated and times * len(operand) > MAX_TEMPLATE_TEXT:
                    raise _too_large("une répétition (*)")
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise _too_large("une puissance (**)")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        return _check_result(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        _check_numbers((*args, *kwargs.values()))
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            _check_format(obj)
        return _check_result(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        if isinstance(obj, str) and argument in ("format", "format_map"):
            _check_format(obj)
        return _check_result(super().getitem(obj, argument))


def _analysis_environment() -> ImmutableSandboxedEnvironment:
    """The linter's view of a template as written (its loops not rewritten), with the same filters."""
    environment = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    environment.globals.pop("lipsum", None)
    return environment


def render_docx(template_bytes: bytes, context: Mapping[str, Any]) -> bytes:
    """The DOCX rendered from a template and a context of strings; the same inputs give the same bytes.

    TemplateNotDocx when the template is not an acceptable DOCX, TemplateRenderError when it cannot be
    rendered with this context.
    """
    template = _open_template(template_bytes)
    had_core_properties = _has_core_properties(template)
    budget = _BUDGET.set(_Budget(time.monotonic() + MAX_RENDER_SECONDS, MAX_RENDERED_CHARACTERS))
    try:
        template.render(_xml_safe(context), jinja_env=_environment())
    except RenderLimitExceeded:
        raise
    except RecursionError as error:
        raise RenderLimitExceeded(
            "Le rendu du modèle s'appelle lui-même sans fin (récursion) : il est interrompu."
        ) from error
    except MemoryError as error:
        raise RenderLimitExceeded("Le rendu du modèle épuise la mémoire : il est interrompu.") from error
    except TemplateError as error:
        raise TemplateRenderError(_jinja_message(error)) from error
    except Exception as error:  # docxtpl post-processing of a hostile template: any failure is a refusal
        message = f"Le rendu du modèle a échoué ({type(error).__name__} : {error})."
        raise TemplateRenderError(message) from error
    finally:
        _BUDGET.reset(budget)
    if not had_core_properties:
        properties = template.docx.core_properties
        properties.created = FIXED_TIMESTAMP
        properties.modified = FIXED_TIMESTAMP
    return _save_deterministically(template)


def _save_deterministically(template: Any) -> bytes:
    """The rendered DOCX, zipped once with fixed dates and attributes (the same inputs, the same bytes).

    python-docx's own writer dates each entry with the current time, so its output would have to be
    unzipped and zipped again (a third of a render); its package parts are written here instead, in the
    same order. A template whose media docxtpl must replace goes the long way.
    """
    if (
        template.pics_to_replace
        or template.crc_to_new_media
        or template.crc_to_new_embedded
        or (template.zipname_to_replace)
    ):
        output = io.BytesIO()
        template.save(output)
        return deterministic_zip(output.getvalue())
    package = template.docx.part.package
    for part in package.parts:
        part.before_marshal()
    output = io.BytesIO()
    writer: Any = _DeterministicZipWriter(output)  # what PackageWriter calls: write(pack_uri, blob)
    steps: Any = PackageWriter  # its helpers are untyped
    steps._write_content_types_stream(writer, package.parts)
    steps._write_pkg_rels(writer, package.rels)
    steps._write_parts(writer, package.parts)
    writer.close()
    return output.getvalue()


class _DeterministicZipWriter:
    """What python-docx's PackageWriter writes to, with every entry dated ZIP_EPOCH."""

    def __init__(self, file: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(file, "w")

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self._zip.writestr(_entry(pack_uri.membername), blob, compresslevel=1)

    def close(self) -> None:
        self._zip.close()


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.create_system = 0  # not the platform's default: the bytes must not depend on the host
    entry.external_attr = 0
    return entry


def deterministic_zip(content: bytes) -> bytes:
    """The same ZIP with every entry dated ZIP_EPOCH and neutral attributes, entries in the same order."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            entry = _entry(member.filename)
            # The fastest deflate level: the document is compressed a second time here, and level 1 costs
            # a third of the default's time for a few per cent more bytes.
            target.writestr(entry, source.read(member), compresslevel=1)
    return output.getvalue()


def _xml_safe(value: Any) -> Any:
    """The context with every string stripped of characters XML forbids and with one kind of newline."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, Mapping):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(item) for item in value]
    return value


def _jinja_message(error: TemplateError) -> str:
    if isinstance(error, TemplateSyntaxError):
        return f"Erreur de syntaxe dans le modèle (ligne {error.lineno}) : {error.message}"
    kind = type(error).__name__
    if kind == "UndefinedError":
        return f"Variable absente des données du document : {error.message}"
    if kind == "SecurityError":
        return f"Opération interdite dans un modèle : {error.message}"
    return f"Le modèle n'a pas pu être rendu : {error.message}"


# --- Opening an archive safely ------------------------------------------------------------------------


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


def _open_template(content: bytes) -> Any:
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


def _has_core_properties(template: Any) -> bool:
    # Asked of the relationships, not of `core_properties`, which would create the part with today's date.
    return any(rel.reltype == RT.CORE_PROPERTIES for rel in template.docx.part.package.rels.values())


# --- Lint ---------------------------------------------------------------------------------------------


def lint_template(template_bytes: bytes, template_name: str) -> list[str]:
    """What is wrong with an uploaded template, in French (empty when it can be used).

    TemplateNotDocx when the bytes are not an acceptable DOCX at all. Otherwise lists Jinja syntax
    errors, variables the context schema does not provide (`structure.nom`, `secret`), what would turn
    autoescape off, and, when nothing else is wrong, what a trial rendering with sample data reports.
    """
    declared = declared_variables(template_name)
    template = _open_template(template_bytes)
    environment = _analysis_environment()
    problems: list[str] = []
    trees: list[nodes.Template] = []
    for label, source in _template_sources(template):
        try:
            tree = environment.parse(source)
            environment.compile(tree)  # unknown filters and tests are found when compiling
        except TemplateSyntaxError as error:
            problems.append(
                f"Erreur de syntaxe Jinja ({label}, près de « {_near(source, error.lineno)} ») : "
                f"{error.message}"
            )
            continue
        trees.append(tree)
    if problems:
        return problems
    # docxtpl's own analysis of the body, headers and footers names the top-level variables.
    roots = set(template.get_undeclared_template_variables(jinja_env=environment)) - set(environment.globals)
    unknown = {root: root for root in roots if root not in declared}
    for tree in trees:
        unknown.update(_unknown_paths(tree, declared, environment))
    problems.extend(_unknown_message(written, unknown[written], declared) for written in sorted(unknown))
    for tree in trees:
        problems.extend(_escaping_problems(tree))
    if problems:
        return list(dict.fromkeys(problems))
    try:
        trial = render_docx(template_bytes, template_context(template_name, SAMPLE_DATA[template_name]))
    except TemplateRenderError as error:
        problems.append(f"Le rendu d'essai avec des données d'exemple échoue : {error}")
        return problems
    try:
        check_package(trial)
    except TemplateNotDocx as error:
        problems.append(f"Le document rendu à l'essai est refusé : {error}")
    return problems


def _template_sources(template: Any) -> Iterator[tuple[str, str]]:
    """Every text docxtpl renders, prepared as docxtpl prepares it, with a French label."""
    document = template.docx
    yield "corps du document", _as_rendered(template, template.get_xml())
    for rel in document.part.rels.values():
        if rel.is_external:
            continue
        if rel.reltype == RT.HEADER:
            yield "en-tête", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
        elif rel.reltype == RT.FOOTER:
            yield "pied de page", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
        elif rel.reltype == RT.FOOTNOTES:
            yield "notes de bas de page", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
    properties = document.core_properties
    for name in _RENDERED_PROPERTIES:
        text = getattr(properties, name) or ""
        if text:
            yield f"propriété « {name} » du document", text


def _as_rendered(template: Any, xml: str) -> str:
    # docxtpl puts each paragraph on its own line before rendering: line numbers then point at paragraphs.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(xml))


def _near(source: str, line_number: int | None) -> str:
    lines = source.splitlines()
    if not line_number or line_number > len(lines):
        return "?"
    text = re.sub(r"<[^>]+>", "", lines[line_number - 1]).strip()
    return text if len(text) <= 80 else text[:77] + "…"


def _unknown_message(written: str, resolved: str, declared: set[str]) -> str:
    """The problem, with the closest sibling the context does provide, written as the template would."""
    parent, _, key = resolved.rpartition(".")
    # Whole dotted names compare better than short keys ("structure.nom" is close to "structure.name").
    siblings = sorted(name for name in declared if name.rpartition(".")[0] == parent)
    close = difflib.get_close_matches(resolved, siblings, n=1)
    if not close:
        return f"Variable inconnue : {written}"
    # `written` ends with the unknown key; what precedes it is how the template reaches the parent.
    suggestion = written[: len(written) - len(key)] + close[0].rpartition(".")[2]
    return f"Variable inconnue : {written} (vouliez-vous dire {suggestion} ?)"


def _unknown_paths(tree: nodes.Template, declared: set[str], environment: Any) -> dict[str, str]:
    """The dotted names a template reads that the context does not provide, as the template writes them
    (mapped to the declared name they stand for: `t.montant` in a loop over tranches is "tranches.montant").

    `{% for t in tranches %}{{ t.amount }}` reads "tranches.amount". An attribute of a value the context
    gives as a string (`structure.name.upper()`) is not a variable and is left alone.
    """
    globals_ = meta.find_undeclared_variables(tree) - set(environment.globals)
    parents = {name.rsplit(".", 1)[0] for name in declared if "." in name}
    unknown: dict[str, str] = {}

    def check(chain: nodes.Expr, scope: Mapping[str, str | None]) -> None:
        steps: list[nodes.Getattr | nodes.Getitem] = []
        base: nodes.Expr = chain
        while isinstance(base, nodes.Getattr | nodes.Getitem):
            steps.append(base)
            base = base.node
        if not isinstance(base, nodes.Name) or base.ctx != "load":
            return
        if base.name in scope:
            resolved = scope[base.name]
            if resolved is None:
                return
        elif base.name in globals_:
            resolved = base.name
            if resolved not in declared:
                unknown[base.name] = base.name
                return
        else:
            return  # a name the template sets itself
        written = base.name
        for step in reversed(steps):
            if isinstance(step, nodes.Getattr):
                key = step.attr
            elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, str):
                key = step.arg.value
            elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, int):
                written += f"[{step.arg.value}]"
                continue  # an item of a list: its fields are named after the list
            else:
                return  # a computed key: nothing to check statically
            if resolved not in parents:
                return  # an attribute of a string value (a method such as upper)
            candidate = f"{resolved}.{key}"
            written += f".{key}"
            if candidate not in declared:
                if key not in _CONTAINER_METHODS:
                    unknown[written] = candidate
                return
            resolved = candidate

    def visit(node: nodes.Node, scope: Mapping[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            inner = dict(scope)
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = _resolved(node.iter, scope, globals_, declared)
            else:  # `for a, b in …`: unpacked values are not checked
                inner.update((target.name, None) for target in node.target.find_all(nodes.Name))
            for child in node.body:
                visit(child, inner)
            if node.test is not None:
                visit(node.test, inner)
            for child in node.else_:
                visit(child, scope)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            check(node, scope)
            base: nodes.Node = node
            while isinstance(base, nodes.Getattr | nodes.Getitem):
                if isinstance(base, nodes.Getitem):
                    visit(base.arg, scope)
                base = base.node
            if not isinstance(base, nodes.Name):
                visit(base, scope)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, {})
    return unknown


def _resolved(
    expression: nodes.Node, scope: Mapping[str, str | None], globals_: set[str], declared: set[str]
) -> str | None:
    """The declared dotted name an expression such as `tranches` or `data.items` reads, if it is one."""
    keys: list[str] = []
    node = expression
    while isinstance(node, nodes.Getattr):
        keys.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    if node.name in scope:
        root = scope[node.name]
    elif node.name in globals_:
        root = node.name
    else:
        return None
    if root is None:
        return None
    path = ".".join([root, *reversed(keys)])
    return path if path in declared else None


def _escaping_problems(tree: nodes.Template) -> Iterator[str]:
    for node in tree.find_all(nodes.Filter):
        if node.name == "safe":
            yield "Le filtre « safe » est interdit : il désactive l'échappement du texte saisi."
    for modifier in tree.find_all(nodes.EvalContextModifier):
        if any(keyword.key == "autoescape" for keyword in modifier.options):
            yield "Le bloc « autoescape » est interdit : l'échappement du texte saisi doit rester actif."
