"""The document adapters the use cases are given (service_layer/documents/ports.py), and their builder,
which the composition root calls once: `build_document_adapters(settings)`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.metadata import version
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.clock import Clock
from cnum_shared.core.parameters import ParameterNode, parameters
from cnum_shared.framework.seal import MetadataUpdate
from conventions.adapters import documents as docx
from conventions.adapters.converter import PdfConverter
from conventions.adapters.document_context import template_context
from conventions.adapters.document_store import LocalFileStore
from conventions.adapters.pdf import InvalidPdf, check_uploaded_pdf, provenance_update
from conventions.adapters.seal import PyhankoSeal
from conventions.adapters.template_lint import lint_template
from conventions.config import ConventionsSettings
from conventions.domain.documents import RenderingRefused, UnreadablePdf

#: What every generated PDF names as its maker.
GENERATOR = f"cnum-conventions {version('cnum-conventions')}"


def built_in_templates(template_name: str, *, tree: ParameterNode) -> list[tuple[date, bytes]]:
    """Each edition of a template shipped with the code (conventions/templates/<name>/<edition>.docx), with
    the day its period of the law begins (shared/parameters/documents.yaml), oldest first."""
    folder = resources.files("conventions.templates").joinpath(template_name)
    return [
        (effective_from, folder.joinpath(f"{code}.docx").read_bytes())
        for effective_from, code in legal.template_editions(tree=tree)
    ]


def built_in_template(
    template_name: str, on: date | None = None, *, tree: ParameterNode | None = None
) -> bytes:
    """The edition of a shipped template in force on `on` (the newest when no date is given); for the
    tests and the bench, which have no unit of work."""
    tree = tree if tree is not None else parameters()
    editions = legal.template_editions(tree=tree)
    code = legal.template_edition(on, tree=tree) if on is not None else editions[-1][1]
    return resources.files("conventions.templates").joinpath(template_name, f"{code}.docx").read_bytes()


class DocxRenderer:
    """docxtpl in a sandbox (adapters/documents.py), behind the service layer's DocumentRenderer; the
    labels of a document (structure types...) come from `tree`, the legal parameters."""

    def __init__(self, tree: ParameterNode) -> None:
        self.tree = tree
        #: The shipped editions, read once: every generation asks for them (templates.py stores the
        #: missing ones), and a batch generates thousands.
        self._built_in: dict[str, list[tuple[date, bytes]]] = {}

    def render(self, template_name: str, template: bytes, data: Mapping[str, Any]) -> bytes:
        try:
            return docx.render_docx(template, template_context(template_name, data, tree=self.tree))
        except (docx.TemplateRenderError, docx.TemplateNotDocx) as error:
            raise RenderingRefused(str(error)) from error

    def lint(self, template_name: str, template: bytes) -> list[str]:
        try:
            return lint_template(template, template_name, legal_tree=self.tree)
        except docx.TemplateNotDocx as error:
            return [str(error)]

    def data_sha256(self, data: Mapping[str, Any]) -> str:
        return docx.data_sha256(data)

    def built_in(self, template_name: str) -> list[tuple[date, bytes]]:
        if template_name not in self._built_in:
            self._built_in[template_name] = built_in_templates(template_name, tree=self.tree)
        return list(self._built_in[template_name])


class PypdfTools:
    """The provenance that the seal writes in generated PDFs, checks on uploaded ones (adapters/pdf.py)."""

    def provenance(
        self, *, template_name: str, template_sha256: str, data_sha256: str, generator: str
    ) -> MetadataUpdate:
        return provenance_update(
            template_name=template_name,
            template_sha256=template_sha256,
            data_sha256=data_sha256,
            generator=generator,
        )

    def pages(self, pdf: bytes) -> int:
        try:
            return check_uploaded_pdf(pdf).pages
        except InvalidPdf as error:
            raise UnreadablePdf(str(error)) from error


@dataclass(frozen=True)
class DocumentAdapters:
    converter: PdfConverter
    renderer: DocxRenderer
    pdf: PypdfTools
    store: LocalFileStore
    seal: PyhankoSeal
    generator: str = GENERATOR


def build_document_adapters(
    settings: ConventionsSettings, tree: ParameterNode, clock: Clock
) -> DocumentAdapters:
    """The converter client, the DOCX renderer, the PDF tools, the agency's seal (signing at `clock`'s
    time) and the file store under CNUM_VAR_DIR; `tree` is the legal parameter tree the composition
    root loaded. In production the seal is read now: a service without a usable seal does not start."""
    seal = PyhankoSeal(settings, clock)
    if settings.environment == "production":
        seal.load()
    return DocumentAdapters(
        converter=PdfConverter(settings.converter_url, settings.converter_timeout_seconds),
        renderer=DocxRenderer(tree),
        pdf=PypdfTools(),
        store=LocalFileStore(settings.var_dir),
        seal=seal,
    )
