"""Evidence must parse whole as the type its content claims (issue 15, point 5c), on SQLite and PostgreSQL:
a refused file is a 422 naming why, and nothing is kept (no revision, no file on disk)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from cnum_shared.testing import bearer

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 255, 255)).save(output, "PNG")
    return output.getvalue()


def jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 255, 255)).save(output, "JPEG")
    return output.getvalue()


def pdf_launching(program: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    launch = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject(program)}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(launch)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def upload(feed, obligation_id, content, name, structure_id):
    return feed.client.post(
        f"/api/v1/obligations/{obligation_id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        headers=bearer("structure", structure_id=structure_id),
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (
            b"\x89PNG\r\n\x1a\n" + HTML,
            "facture.png",
            "Le fichier commence comme une image PNG mais ne se lit pas entièrement comme telle",
        ),
        (
            png() + HTML,
            "facture.png",
            f"L'image PNG est suivie de {len(HTML)} octets qui n'en font pas partie",
        ),
        (
            jpeg() + HTML,
            "facture.jpg",
            f"L'image JPEG est suivie de {len(HTML)} octets qui n'en font pas partie",
        ),
        (
            pdf_launching("cmd.exe"),
            "facture.pdf",
            "Le PDF contient du contenu actif : action à l'ouverture (/Launch) (/Root/OpenAction) ; "
            "lancement d'un programme (Launch) (/Root/OpenAction/S). Il est refusé.",
        ),
        (b"%PDF-1.4 facture" + HTML, "facture.pdf", "Le PDF est illisible"),
    ],
    ids=["png-header-then-html", "png-then-html", "jpeg-then-html", "pdf-launch", "pdf-header-then-html"],
)
def test_evidence_that_is_not_wholly_what_it_claims_is_refused_and_nothing_is_kept(
    feed, tmp_path, content, name, reason
):
    convention = feed.convention()
    feed.contract(convention)
    equipment = feed.by_kind("equipment")[0]

    refused = upload(feed, equipment["id"], content, name, convention["structure_id"])

    assert refused.status_code == 422
    body = refused.get_json()
    [problem] = body["errors"]["files"]["file"]
    assert problem.startswith(reason), problem
    assert body["message"] == problem
    assert feed.call("GET", f"/obligations/{equipment['id']}/evidence", 200) == []
    assert not (tmp_path / "evidence").exists()


def test_real_png_jpeg_and_pdf_evidence_are_still_accepted(feed):
    convention = feed.convention()
    feed.contract(convention)
    equipment = feed.by_kind("equipment")[0]
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)

    answers = [
        upload(feed, equipment["id"], content, name, convention["structure_id"]).status_code
        for content, name in ((png(), "a.png"), (jpeg(), "b.jpg"), (pdf.getvalue(), "c.pdf"))
    ]

    assert answers == [201, 201, 201]
    revisions = feed.call("GET", f"/obligations/{equipment['id']}/evidence", 200)
    assert [r["media_type"] for r in revisions] == ["application/pdf", "image/jpeg", "image/png"]
