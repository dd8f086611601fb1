"""What an uploaded countersigned PDF must be, and the provenance stamped on generated PDFs."""

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from conventions.adapters.pdf import InvalidPdf, check_uploaded_pdf, provenance_of, stamp_provenance


def pdf(pages=1, prepare=None):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if prepare:
        prepare(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_a_plain_pdf_is_accepted_with_its_page_count():
    assert check_uploaded_pdf(pdf(pages=3)).pages == 3


def javascript_on_open(writer):
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def launch_on_open(writer):
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"GIF89a not a pdf", "n'est pas un PDF"),
        (b"%PDF-1.7\n garbage without objects", "illisible"),
        (pdf(prepare=lambda writer: writer.encrypt("secret")), "chiffré"),
        (pdf(prepare=javascript_on_open), "contenu actif"),
        (pdf(prepare=launch_on_open), "contenu actif"),
        (pdf(prepare=lambda writer: writer.add_attachment("x.exe", b"MZ")), "contenu actif"),
    ],
    ids=["not-a-pdf", "truncated", "encrypted", "javascript", "launch-action", "embedded-file"],
)
def test_a_pdf_that_is_fake_encrypted_or_active_is_refused(content, words):
    with pytest.raises(InvalidPdf, match=words):
        check_uploaded_pdf(content)


def test_the_provenance_is_written_in_the_metadata():
    stamped = stamp_provenance(
        pdf(), template_name="convention", template_sha256="a" * 64, data_sha256="b" * 64, generator="cnum 1"
    )

    assert provenance_of(stamped) == {
        "/CnumTemplate": "convention",
        "/CnumTemplateSha256": "a" * 64,
        "/CnumDataSha256": "b" * 64,
        "/CnumGenerator": "cnum 1",
    }
    assert check_uploaded_pdf(stamped).pages == 1
