"""DOCX documents: rendering a template with docxtpl, safely and reproducibly (the package checks are in
docx_package.py, the linter of an uploaded template in template_lint.py).

Safety. A template is rendered in a sandboxed Jinja environment with autoescape and StrictUndefined:
- values are data, never code: a structure named `{{ 7*7 }}` is printed as typed, because Jinja
  renders the template once and never re-reads what a value contains;
- autoescape turns `<`, `>`, `&` and quotes of a value into XML entities, so no value can close a
  `<w:t>` or inject WordprocessingML; characters XML forbids (control characters) are dropped;
- a variable the context lacks stops the rendering (`TemplateRenderError`) instead of printing an
  empty string in a document someone will sign;
- the sandbox keeps an uploaded template from reaching Python internals (`__class__`, `__globals__`).
Archives are checked before any XML is parsed (docx_package.py): size and compression ratio (zip
bombs), member count, and no DTD at all (external entities: a DOCX never carries a DOCTYPE, so one is
refused outright; lxml as python-docx configures it would not resolve it either).

Reproducibility. The same template and context give the same bytes: the ZIP entries carry a constant
date, and a template without core properties gets constant dates instead of python-docx's "now".
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import hashlib
import io
import itertools
import json
import re
import threading
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import nsmap as docx_namespaces
from docx.oxml.parser import parse_xml
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from conventions.adapters.document_context import CONTEXT_SCHEMAS, template_context
from conventions.adapters.docx_package import TemplateNotDocx, has_core_properties, open_template

__all__ = [
    "CONTEXT_SCHEMAS",
    "RenderLimitExceeded",
    "TemplateNotDocx",
    "TemplateRenderError",
    "data_sha256",
    "deterministic_zip",
    "prepared_templates",
    "render_docx",
    "render_docx_with_docxtpl",
    "template_context",
    "template_sha256",
]

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

#: The filter every loop of a rendered template goes through (a name no template can define).
_ITERATION_FILTER = "cnum_counted_iteration"
#: Characters XML 1.0 forbids (docxtpl would also read \a and \f as paragraph and page breaks).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


def analysis_environment() -> ImmutableSandboxedEnvironment:
    """The linter's view of a template as written (its loops not rewritten), with the same filters."""
    environment = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    environment.globals.pop("lipsum", None)
    return environment


def render_docx(template_bytes: bytes, context: Mapping[str, Any]) -> bytes:
    """The DOCX rendered from a template and a context of strings; the same inputs give the same bytes.

    TemplateNotDocx when the template is not an acceptable DOCX, TemplateRenderError when it cannot be
    rendered with this context.

    A template is prepared once per process (_PreparedTemplate: parsed, its Jinja compiled, its unchanged
    parts compressed) and each document renders only what varies; a template the preparation does not
    cover goes through docxtpl as a whole (`render_docx_with_docxtpl`), which gives the same bytes.
    """
    with _rendering():
        prepared = _prepared(template_bytes)
        if prepared is None:
            return _render_with_docxtpl(template_bytes, _xml_safe(context))
        return prepared.render(_xml_safe(context))


def render_docx_with_docxtpl(template_bytes: bytes, context: Mapping[str, Any]) -> bytes:
    """The same document as `render_docx`, through docxtpl's whole pipeline (a fresh parse of the DOCX,
    Jinja compiled again): the reference the prepared templates are tested against."""
    with _rendering():
        return _render_with_docxtpl(template_bytes, _xml_safe(context))


@contextlib.contextmanager
def _rendering() -> Iterator[None]:
    """A rendering's budget and the translation of what can go wrong into TemplateRenderError."""
    budget = _BUDGET.set(_Budget(time.monotonic() + MAX_RENDER_SECONDS, MAX_RENDERED_CHARACTERS))
    try:
        yield
    except (RenderLimitExceeded, TemplateNotDocx):
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


def _render_with_docxtpl(template_bytes: bytes, context: Mapping[str, Any]) -> bytes:
    template = open_template(template_bytes)
    had_core_properties = has_core_properties(template)
    template.render(context, jinja_env=_environment())
    if not had_core_properties:
        properties = template.docx.core_properties
        properties.created = FIXED_TIMESTAMP
        properties.modified = FIXED_TIMESTAMP
    return _save_deterministically(template)


# --- Prepared templates -----------------------------------------------------------------------------------
#
# docxtpl parses the whole DOCX again for every document (800 kB of styles among it), cleans its XML for
# Jinja and compiles it, then writes and compresses every part: for a batch of thousands of documents of one
# template, that is the same work thousands of times, and each rendering leaves a package of lxml trees in
# reference cycles that only a full garbage collection frees (the batch process grew with the number of
# documents). A prepared template does that work once; a document then costs its Jinja rendering, docxtpl's
# post-processing of the parts that hold Jinja (the body, headers and footers, core properties) and the
# compression of those parts only. The steps are docxtpl's own (DocxTemplate.render, 0.20), in its order,
# and the tests compare the bytes with `render_docx_with_docxtpl` for every shipped template.

#: Prepared templates kept per process (least recently used dropped first): a batch renders one or two
#: versions of a template thousands of times; the bound keeps a process that meets many uploaded versions
#: from growing with them.
PREPARED_TEMPLATES = 16
#: docxtpl renders the footnotes part once per section, each time over the previous result: such a
#: template is not prepared, it goes through docxtpl.
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
#: The core properties docxtpl renders as templates (DocxTemplate.render_properties).
_RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_PARAGRAPH = re.compile(r"<w:p([ >])")
_PARAGRAPH_AFTER_NEWLINE = re.compile(r"\n<w:p([ >])")

_prepared_templates: collections.OrderedDict[str, _PreparedTemplate | None] = collections.OrderedDict()
_prepared_lock = threading.Lock()


def _prepared(content: bytes) -> _PreparedTemplate | None:
    """The prepared template for these bytes (prepared now the first time), None when docxtpl must do it
    all; the checks of open_template run at the preparation, as before any rendering."""
    if not isinstance(content, bytes | bytearray):
        return None  # open_template says what it is not
    key = template_sha256(content)
    with _prepared_lock:
        if key in _prepared_templates:
            _prepared_templates.move_to_end(key)
            return _prepared_templates[key]
    # Prepared outside the lock: two threads may both prepare the first time, and keep the same result.
    prepared = _PreparedTemplate.of(bytes(content))
    with _prepared_lock:
        _prepared_templates[key] = prepared
        _prepared_templates.move_to_end(key)
        while len(_prepared_templates) > PREPARED_TEMPLATES:
            _prepared_templates.popitem(last=False)
    return prepared


def prepared_templates() -> int:
    """How many templates this process keeps prepared (at most PREPARED_TEMPLATES)."""
    with _prepared_lock:
        return len(_prepared_templates)


@dataclass(frozen=True)
class _Member:
    """An entry of the rendered DOCX, in the order python-docx writes them: a part that never changes
    carries its bytes already compressed; a part with Jinja in it is written for each document."""

    name: str
    content: bytes
    deflated: bytes | None


@dataclass(frozen=True)
class _PreparedTemplate:
    members: tuple[_Member, ...]
    helper: Any  # the DocxTemplate: its post-processing methods (resolve_listing, fix_tables) are pure
    document_name: str
    document_skeleton: bytes  # the document part with an empty body, the rendered body goes in its place
    body: Template
    headers_footers: tuple[tuple[str, Template, str], ...]  # (entry, template, encoding), docxtpl's order
    core_name: str
    core_properties: bytes
    properties: tuple[tuple[str, Template], ...]

    @classmethod
    def of(cls, content: bytes) -> _PreparedTemplate | None:
        template = open_template(content)
        package = template.docx.part.package
        if not has_core_properties(template) or any(
            part.content_type == _FOOTNOTES for part in package.parts
        ):
            return None
        environment = _environment()
        document_part = template.docx.part
        headers_footers = []
        for uri in (template.HEADER_URI, template.FOOTER_URI):
            for _key, part in template.get_headers_footers(uri):
                xml = template.get_part_xml(part)
                headers_footers.append(
                    (
                        part.partname.membername,
                        environment.from_string(_for_jinja(template.patch_xml(xml))),
                        template.get_headers_footers_encoding(xml),
                    )
                )
        names = [name for name, _template, _encoding in headers_footers]
        if len(set(names)) != len(names):  # one part behind two relationships: docxtpl makes two of it
            return None
        core_part = package.part_related_by(RT.CORE_PROPERTIES)
        core_properties = template.docx.core_properties
        properties = tuple(
            (name, environment.from_string(getattr(core_properties, name))) for name in _RENDERED_PROPERTIES
        )
        body = environment.from_string(_for_jinja(template.patch_xml(template.get_xml())))
        skeleton = copy.deepcopy(document_part.element)
        for child in list(skeleton.body):
            skeleton.body.remove(child)
        dynamic = {document_part.partname.membername, core_part.partname.membername, *names}
        members = tuple(
            _Member(name, blob, None if name in dynamic else _deflate(blob)) for name, blob in _parts(package)
        )
        return cls(
            members=members,
            helper=template,
            document_name=document_part.partname.membername,
            document_skeleton=etree.tostring(skeleton),
            body=body,
            headers_footers=tuple(headers_footers),
            core_name=core_part.partname.membername,
            core_properties=core_part.blob,
            properties=properties,
        )

    def render(self, context: Mapping[str, Any]) -> bytes:
        """DocxTemplate.render and _save_deterministically, with what depends on the template done."""
        tree = self.helper.fix_tables(self._part_xml(self.body, context))
        docpr_id = 1000  # fix_docpr_ids: every drawing renumbered from 1001
        for element in tree.xpath("//wp:docPr", namespaces=docx_namespaces):
            docpr_id += 1
            element.attrib["id"] = str(docpr_id)
        document = parse_xml(self.document_skeleton)
        document.replace(document.body, tree)
        rendered = {self.document_name: serialize_part_xml(document)}
        for name, template, encoding in self.headers_footers:
            xml = self._part_xml(template, context).encode(encoding)
            rendered[name] = serialize_part_xml(parse_xml(xml))
        element = parse_xml(self.core_properties)
        properties = CoreProperties(element)
        for name, template in self.properties:
            setattr(properties, name, template.render(context))
        rendered[self.core_name] = serialize_part_xml(element)
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            for member in self.members:
                if member.deflated is None:
                    archive.writestr(_entry(member.name), rendered[member.name], compresslevel=1)
                else:
                    _write_deflated(archive, member)
        return output.getvalue()

    def _part_xml(self, template: Template, context: Mapping[str, Any]) -> str:
        """DocxTemplate.render_xml_part after the compilation."""
        xml = _PARAGRAPH_AFTER_NEWLINE.sub(r"<w:p\1", template.render(context))
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return str(self.helper.resolve_listing(xml))


def _for_jinja(xml: str) -> str:
    # As DocxTemplate.render_xml_part before it compiles: each paragraph on a line of its own.
    return _PARAGRAPH.sub(r"\n<w:p\1", xml)


def _parts(package: Any) -> list[tuple[str, bytes]]:
    """Each entry python-docx writes for the package, in its order (as _save_deterministically)."""
    recorder = _RecordingWriter()
    steps: Any = PackageWriter  # its helpers are untyped
    steps._write_content_types_stream(recorder, package.parts)
    steps._write_pkg_rels(recorder, package.rels)
    steps._write_parts(recorder, package.parts)
    return recorder.entries


class _RecordingWriter:
    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes]] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.entries.append((pack_uri.membername, blob))


def _deflate(content: bytes) -> bytes:
    # What zipfile writes for writestr(..., compresslevel=1): one raw deflate stream of the whole part.
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(content) + compressor.flush()


class _AlreadyDeflated:
    """Stands for zipfile's compressor of one entry: the deflated bytes were made once, at preparation."""

    def __init__(self, deflated: bytes) -> None:
        self._deflated = deflated

    def compress(self, _content: bytes) -> bytes:
        return self._deflated

    def flush(self) -> bytes:
        return b""


def _write_deflated(archive: zipfile.ZipFile, member: _Member) -> None:
    """The entry exactly as writestr(entry, content, compresslevel=1) writes it, without compressing again:
    zipfile still computes the CRC and sizes from the content and writes both headers."""
    assert member.deflated is not None
    entry = _entry(member.name)
    entry.file_size = len(member.content)
    entry._compresslevel = 1  # type: ignore[attr-defined]  # as writestr sets it
    with archive.open(entry, "w") as target:
        # zipfile's private compressor of the entry (CPython 3.11); the tests compare the bytes.
        target._compressor = _AlreadyDeflated(member.deflated)  # type: ignore[attr-defined]
        target.write(member.content)


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
