"""A template prepared once renders the same bytes as docxtpl's whole pipeline, and a rendering leaves
nothing behind that only a full garbage collection would free (a batch process stays flat)."""

from __future__ import annotations

import gc
import io
import struct
import zlib

import pytest
from docx import Document
from docx.shared import Cm

from cnum_shared.core.parameters import parameters
from conventions.adapters import documents
from conventions.adapters.document_adapters import built_in_templates
from conventions.adapters.document_context import SAMPLE_DATA, template_context
from conventions.adapters.documents import (
    PREPARED_TEMPLATES,
    TemplateRenderError,
    prepared_templates,
    render_docx,
    render_docx_with_docxtpl,
)

TREE = parameters()
#: Every shipped template in every edition, with the sample data of its kind.
SHIPPED = [
    (name, effective_from, content)
    for name in SAMPLE_DATA
    for effective_from, content in built_in_templates(name, tree=TREE)
]


def one_pixel_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1 × 1, 8 bits, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def a_template(
    body: str, *, header: str = "", footer: str = "", title: str = "", picture: bool = False
) -> bytes:
    document = Document()
    for line in body.splitlines():
        document.add_paragraph().add_run(line)
    if header:
        document.sections[0].header.paragraphs[0].add_run(header)
    if footer:
        document.sections[0].footer.paragraphs[0].add_run(footer)
    if title:
        document.core_properties.title = title
    if picture:
        png = io.BytesIO(one_pixel_png())
        document.add_picture(png, width=Cm(1))
        png.seek(0)
        document.add_picture(png, width=Cm(1))
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


@pytest.mark.parametrize(("name", "effective_from", "content"), SHIPPED, ids=lambda value: str(value)[:20])
def test_a_prepared_shipped_template_renders_the_bytes_docxtpl_renders(name, effective_from, content):
    context = template_context(name, SAMPLE_DATA[name], tree=TREE)

    rendered = render_docx(content, context)

    assert documents._prepared(content) is not None  # the prepared path, not docxtpl's
    assert rendered == render_docx_with_docxtpl(content, context)
    assert render_docx(content, context) == rendered


def test_headers_footers_core_properties_loops_and_drawings_are_rendered_as_docxtpl_does():
    template = a_template(
        "Structure : {{ name }}\n{% for line in lines %}\n- {{ line }}\n{% endfor %}\nFin & « fin »",
        header="En-tête {{ name }}",
        footer="Pied {{ name | upper }}",
        title="Convention {{ name }}",
        picture=True,
    )
    context = {"name": "Commune <de> Saint-Denis & Cie", "lines": ["un", "deux\ntrois", "quatre\tcinq"]}

    rendered = render_docx(template, context)

    assert documents._prepared(template) is not None
    assert rendered == render_docx_with_docxtpl(template, context)
    opened = Document(io.BytesIO(rendered))
    # docxtpl's autoescape applies to the core properties too: the title keeps the entities.
    assert opened.core_properties.title == "Convention Commune &lt;de&gt; Saint-Denis &amp; Cie"
    assert opened.sections[0].header.paragraphs[0].text == "En-tête Commune <de> Saint-Denis & Cie"


def test_a_prepared_template_still_refuses_a_missing_variable_and_a_syntax_error():
    with pytest.raises(TemplateRenderError, match="absente"):
        render_docx(a_template("{{ absent }}"), {})
    with pytest.raises(TemplateRenderError, match="syntaxe"):
        render_docx(a_template("{% if %}"), {})


def test_the_prepared_templates_a_process_keeps_are_bounded():
    for number in range(PREPARED_TEMPLATES + 5):
        render_docx(a_template(f"Version {number} : {{{{ name }}}}"), {"name": "x"})

    assert prepared_templates() <= PREPARED_TEMPLATES


def cyclic_garbage(action) -> int:
    """How many objects `action` leaves that only the cycle collector frees."""
    action()  # warm: caches filled, modules imported
    gc.collect()
    gc.disable()
    try:
        action()
        return gc.collect()
    finally:
        gc.enable()


def test_rendering_a_convention_leaves_nothing_for_the_cycle_collector():
    """docxtpl's package of lxml trees and a fresh Jinja environment and schema per document were reference
    cycles: a batch process held thousands of them (and their XML) until a full collection."""
    content = built_in_templates("convention", tree=TREE)[-1][1]

    def generate() -> None:
        render_docx(content, template_context("convention", SAMPLE_DATA["convention"], tree=TREE))

    assert cyclic_garbage(generate) == 0
