"""What an uploaded countersigned PDF must be, and the provenance that the seal writes in generated PDFs."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from cnum_shared.framework.seal import (
    SEAL_COMMON_NAME,
    AgencySeal,
    SignatureChecker,
    TestAuthority,
    read_certificates,
)
from conventions.adapters.pdf import InvalidPdf, check_uploaded_pdf, provenance_of, provenance_update


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


def test_the_provenance_is_written_in_the_metadata_under_the_seal():
    authority = TestAuthority.create()
    issued = authority.issue(SEAL_COMMON_NAME)
    seal = AgencySeal(issued.key_pem, read_certificates(issued.chain_pem))
    provenance = provenance_update(
        template_name="convention", template_sha256="a" * 64, data_sha256="b" * 64, generator="cnum 1"
    )

    sealed = seal.seal(pdf(), datetime.now(UTC), provenance)

    assert provenance_of(sealed) == {
        "/CnumTemplate": "convention",
        "/CnumTemplateSha256": "a" * 64,
        "/CnumDataSha256": "b" * 64,
        "/CnumGenerator": "cnum 1",
    }
    assert check_uploaded_pdf(sealed).pages == 1
    # The metadata is in the sealed revision: the seal covers it, and nothing was changed after it.
    checks = SignatureChecker(read_certificates(authority.root_pem)).check(sealed)
    assert checks.sealed_and_intact
