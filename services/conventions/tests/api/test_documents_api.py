"""Documents over HTTP: golden PDFs read back with pypdf, stored bytes, the download log, templates,
the countersigned copy and batches."""

import hashlib
import io
import re
import uuid
import zipfile
from datetime import date

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from cnum_shared.testing import bearer, free_port, service_app
from conventions import create_app
from conventions.adapters.document_adapters import built_in_template as _built_in
from conventions.adapters.orm import GeneratedDocument
from conventions.adapters.pdf import provenance_of
from conventions.bootstrap import batch_queue
from conventions.jobs import JOBS
from conventions.service_layer import batches
from conventions.service_layer.batches import run_document_batches
from conventions.service_layer.documents import RunDocumentBatches

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def plain(text):
    """Text as pypdf reads it, with Babel's no-break spaces and line breaks made plain spaces."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def pdf_text(content, pages: int | None = 2):
    reader = PdfReader(io.BytesIO(content))
    return plain(" ".join(page.extract_text() for page in reader.pages[:pages]))


def docx_text(content):
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return plain(" ".join([paragraph.text for paragraph in document.paragraphs] + cells))


def download(api, path, role="legal", **claims):
    return api.client.get(f"/api/v1{path}", headers=bearer(role, **claims))


@pytest.fixture
def signed(documents_api):
    structure = documents_api.structure("974")
    return documents_api.convention(structure, signed_on="2021-03-15")


def test_the_convention_pdf_states_the_parties_amounts_in_figures_and_words_and_dates(documents_api, signed):
    response = download(documents_api, f"/conventions/{signed['id']}/document?format=pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Document-SHA256"] == hashlib.sha256(response.data).hexdigest()
    text = pdf_text(response.data)
    for expected in (
        "Commune du Tampon",
        "21974222800014",
        signed["reference"],
        "67 500,00 €",
        "soixante-sept mille cinq cents euros",
        "135 000,00 €",
        "cent trente-cinq mille euros",
        "1er mars 2021",
        "28 février 2023",
        "54 000,00 €",
        "27 000,00 €",
        "15 mars 2021",
    ):
        assert expected in text, expected
    provenance = provenance_of(response.data)
    assert provenance["/CnumTemplate"] == "convention"
    assert provenance["/CnumTemplateSha256"] == response.headers["X-Template-Version"]
    assert re.fullmatch(r"[0-9a-f]{64}", provenance["/CnumDataSha256"])
    assert provenance["/CnumGenerator"].startswith("cnum-conventions ")


def test_a_document_downloaded_again_is_the_same_bytes_and_each_download_is_logged(documents_api, signed):
    first = download(documents_api, f"/conventions/{signed['id']}/document?format=pdf")
    again = download(documents_api, f"/conventions/{signed['id']}/document", role="auditor")
    word = download(documents_api, f"/conventions/{signed['id']}/document?format=docx")

    assert again.data == first.data
    assert word.mimetype == DOCX
    assert "cent trente-cinq mille euros" in docx_text(word.data)
    log = documents_api.call("GET", f"/conventions/{signed['id']}/downloads", 200)
    assert [(entry["role"], entry["format"]) for entry in log] == [
        ("legal", "docx"),
        ("auditor", "pdf"),
        ("legal", "pdf"),
    ]
    assert log[1]["sha256"] == first.headers["X-Document-SHA256"]
    assert log[1]["downloaded_by"] == "auditor-demo"
    assert log[1]["client_address"] == "127.0.0.1"
    assert log[1]["template_sha256"] == first.headers["X-Template-Version"]


def test_who_may_download(documents_api, signed):
    other = documents_api.structure("15")

    assert (
        download(
            documents_api,
            f"/conventions/{signed['id']}/document",
            "structure",
            structure_id=signed["structure_id"],
        ).status_code
        == 200
    )
    assert (
        download(
            documents_api, f"/conventions/{signed['id']}/document", "structure", structure_id=other["id"]
        ).status_code
        == 404
    )
    assert download(documents_api, f"/conventions/{signed['id']}/document", "finance").status_code == 403
    assert download(documents_api, f"/conventions/{signed['id']}/document?format=odt").status_code == 422
    documents_api.call(
        "GET",
        f"/conventions/{signed['id']}/downloads",
        403,
        role="structure",
        structure_id=signed["structure_id"],
    )


def test_text_a_user_typed_appears_literally_in_the_document(documents_api):
    from conventions.demo import DEMO_STRUCTURES

    tricky = "{{ 7*7 }} {% for x in y %} <w:t> & \"guillemets\" 'apostrophe' 🚀"
    structure = documents_api.call("POST", "/structures", 201, {**DEMO_STRUCTURES[0], "name": tricky})
    convention = documents_api.convention(structure, signed_on="2021-03-15")

    word = download(documents_api, f"/conventions/{convention['id']}/document?format=docx")
    pdf = download(documents_api, f"/conventions/{convention['id']}/document?format=pdf")

    assert tricky in docx_text(word.data)
    assert "{{ 7*7 }} {% for x in y %} <w:t> &" in pdf_text(pdf.data)


def test_the_avenant_document_states_the_new_posts_and_total(documents_api, signed):
    path = f"/conventions/{signed['id']}/amendments"
    amendment = documents_api.call(
        "POST", path, 201, {"posts": 3, "effective_date": "2022-03-01", "reason": "Un poste de plus"}
    )
    documents_api.call("POST", f"{path}/{amendment['id']}/sign", 200, {"signed_on": "2022-02-20"})

    response = download(documents_api, f"{path}/{amendment['id']}/document?format=pdf")

    assert response.status_code == 200
    text = pdf_text(response.data)
    for expected in (
        "Avenant n° 1",
        signed["reference"],
        "168 750,00 €",
        "cent soixante-huit mille sept cent cinquante euros",
        "1er mars 2022",
    ):
        assert expected in text, expected
    assert provenance_of(response.data)["/CnumTemplate"] == "convention_avenant"


def test_the_employment_contract_avenant_is_for_a_cdi_employee_moved_to_the_post(documents_api):
    structure = documents_api.structure("974")
    convention = documents_api.convention(
        structure, wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01"
    )
    advisor = documents_api.call(
        "POST",
        "/advisors",
        201,
        {
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1990-05-04",
            "email": "ines@example.org",
            "structure_id": structure["id"],
        },
    )
    body = {
        "advisor_id": advisor["id"],
        "start_date": "2026-02-01",
        "weekly_hours": "35",
        "gross_monthly_salary": "1900.00",
        "signed_on": "2026-01-20",
    }
    moved = documents_api.call(
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        {
            **body,
            "contract_type": "cdi",
            "existing_cdi_employee": True,
            "original_contract_start_date": "2019-09-02",
            "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
            "line_manager": "Josiane Grondin, directrice de la médiathèque",
            "classification": "adjoint territorial d'animation, échelon 4",
            "public_status": "contractuel",
        },
    )
    hired = documents_api.call(
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        {**body, "contract_type": "cdd", "end_date": "2027-01-31"},
    )

    avenant = download(documents_api, f"/contracts/{moved['id']}/amendment?format=pdf")
    assert download(documents_api, f"/contracts/{hired['id']}/amendment").status_code == 404

    assert avenant.status_code == 200
    text = pdf_text(avenant.data)
    for expected in (
        "Inès",
        "Payet",
        "Commune du Tampon",
        "1 900,00 €",
        "mille neuf cents euros",
        "1er février 2026",
    ):
        assert expected in text, expected


def test_without_a_converter_a_pdf_is_a_503_with_retry_after_and_a_docx_still_works(
    database_url, tmp_path, api_for
):
    with service_app(
        create_app, database_url, tmp_path, converter_url=f"http://127.0.0.1:{free_port()}"
    ) as app:
        api = api_for(app.test_client())
        convention = api.convention(api.structure("974"))
        response = download(api, f"/conventions/{convention['id']}/document?format=pdf")
        word = download(api, f"/conventions/{convention['id']}/document?format=docx")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["message"].startswith("Le convertisseur PDF")
    assert word.status_code == 200


def template_variant(name, paragraph):
    """The built-in template with one more paragraph: another version of it."""
    document = docx.Document(io.BytesIO(_built_in(name)))
    document.add_paragraph(paragraph)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def upload_template(api, name, content, effective_from="2026-01-01", file_name="modele.docx"):
    return api.client.post(
        f"/api/v1/templates/{name}/versions",
        data={"effective_from": effective_from, "file": (io.BytesIO(content), file_name)},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )


def test_a_new_template_version_applies_from_its_date(documents_api):
    structure = documents_api.structure("974")
    old = documents_api.convention(structure, signed_on="2021-03-15")
    new = documents_api.convention(
        structure, wave="renewal", start="2023-06-01", months=36, signed_on="2023-06-15", predecessor=False
    )
    content = template_variant("convention", "Clause ajoutée par la version 2023 du modèle.")

    uploaded = upload_template(documents_api, "convention", content, effective_from="2023-01-01")
    again = upload_template(documents_api, "convention", content, effective_from="2023-01-01")

    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert again.status_code == 409
    new_pdf = download(documents_api, f"/conventions/{new['id']}/document?format=pdf")
    old_pdf = download(documents_api, f"/conventions/{old['id']}/document?format=pdf")
    assert new_pdf.headers["X-Template-Version"] == hashlib.sha256(content).hexdigest()
    built_in_2021 = _built_in("convention", date(2021, 3, 15))
    assert old_pdf.headers["X-Template-Version"] == hashlib.sha256(built_in_2021).hexdigest()
    assert "version 2023 du modèle" in pdf_text(new_pdf.data, pages=None)
    versions = documents_api.call("GET", "/templates/convention/versions", 200)
    # The upload, then the shipped editions (shared/parameters/documents.yaml), the newest first; the
    # upload wins over the shipped edition of the same day, being the newer.
    assert [version["effective_from"] for version in versions] == [
        "2025-07-13",
        "2025-05-14",
        "2024-10-01",
        "2023-01-01",
        "2023-01-01",
        "2020-11-01",
    ]
    assert versions[3]["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_template_with_unknown_variables_or_that_is_not_a_docx_is_refused(documents_api):
    bad = template_variant("convention", "Montant : {{ structure.nom }} {{ secret }}")

    unknown = upload_template(documents_api, "convention", bad)
    not_docx = upload_template(documents_api, "convention", b"%PDF-1.4 not a template", file_name="x.docx")
    missing = documents_api.client.post(
        "/api/v1/templates/convention/versions",
        data={"effective_from": "2026-01-01"},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )
    unknown_template = upload_template(documents_api, "lettre", bad)

    assert unknown.status_code == 422
    problems = " ".join(unknown.get_json()["errors"]["template"])
    assert "structure.nom" in problems and "secret" in problems
    assert not_docx.status_code == 422
    assert missing.status_code == 422
    assert unknown_template.status_code == 404
    # Nothing stored: the five shipped editions only (shared/parameters/documents.yaml).
    versions = documents_api.call("GET", "/templates/convention/versions", 200)
    assert {version["uploaded_by"] for version in versions} == {"cnum (modèle livré)"}
    assert len(versions) == 5


def a_pdf(prepare=None, pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if prepare:
        prepare(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def upload_copy(api, convention_id, content, file_name="convention signée.pdf", role="legal", **claims):
    return api.client.post(
        f"/api/v1/conventions/{convention_id}/signed-copy",
        data={"file": (io.BytesIO(content), file_name)},
        headers=bearer(role, **claims),
        content_type="multipart/form-data",
    )


def test_the_countersigned_copy_is_checked_hashed_and_kept(api, tmp_path):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")
    content = a_pdf(pages=3)

    stored = upload_copy(api, convention["id"], content, file_name="../../etc/passwd\\evil\u0007.pdf")

    assert stored.status_code == 201, stored.get_json()
    body = stored.get_json()
    assert (body["sha256"], body["pages"], body["size_bytes"]) == (
        hashlib.sha256(content).hexdigest(),
        3,
        len(content),
    )
    assert not {"/", "\\", "\u0007"} & set(body["file_name"])
    assert (tmp_path / "signed-copies" / convention["id"] / f"{body['sha256']}.pdf").read_bytes() == content


def test_a_countersigned_copy_is_read_back_as_uploaded_and_each_download_is_logged(api, tmp_path):
    structure = api.structure("974")
    convention = api.convention(structure, signed_on="2021-03-15")
    first, second = a_pdf(pages=2), a_pdf(pages=3)
    older = upload_copy(
        api, convention["id"], first, role="structure", structure_id=structure["id"]
    ).get_json()
    newer = upload_copy(api, convention["id"], second).get_json()

    listed = api.call("GET", f"/conventions/{convention['id']}/signed-copies", 200)
    own = api.call(
        "GET",
        f"/conventions/{convention['id']}/signed-copies",
        200,
        role="structure",
        structure_id=structure["id"],
    )
    read = download(api, f"/conventions/{convention['id']}/signed-copies/{older['id']}", role="auditor")

    assert [copy["id"] for copy in listed] == [newer["id"], older["id"]] == [copy["id"] for copy in own]
    assert read.status_code == 200 and read.mimetype == "application/pdf"
    assert read.data == first
    assert read.headers["X-Document-SHA256"] == hashlib.sha256(first).hexdigest()
    log = api.call("GET", f"/conventions/{convention['id']}/downloads", 200)
    assert [
        (line["template_name"], line["role"], line["sha256"], line["template_sha256"]) for line in log
    ] == [("signed_copy", "auditor", older["sha256"], None)]


def test_a_countersigned_copy_is_refused_to_another_structure_and_when_its_file_was_altered(api, tmp_path):
    structure, other = api.structure("974"), api.structure("15")
    convention = api.convention(structure, signed_on="2021-03-15")
    copy = upload_copy(api, convention["id"], a_pdf()).get_json()
    path = f"/conventions/{convention['id']}/signed-copies"

    api.call("GET", path, 404, role="structure", structure_id=other["id"])
    assert (
        download(api, f"{path}/{copy['id']}", role="structure", structure_id=other["id"]).status_code == 404
    )
    assert download(api, f"{path}/{convention['id']}").status_code == 404  # no such copy
    (tmp_path / "signed-copies" / convention["id"] / f"{copy['sha256']}.pdf").write_bytes(a_pdf(pages=2))
    altered = download(api, f"{path}/{copy['id']}")

    assert altered.status_code == 404
    assert "empreinte" in altered.get_json()["message"]
    assert (
        api.call("GET", f"/conventions/{convention['id']}/downloads", 200) == []
    )  # nothing served, nothing logged


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"MZ\\x90 an executable named .pdf", 422),
        (a_pdf(prepare=lambda writer: writer.encrypt("secret")), 422),
        (a_pdf(prepare=lambda writer: writer.add_attachment("x.exe", b"MZ")), 422),
    ],
    ids=["fake", "encrypted", "embedded-file"],
)
def test_a_countersigned_copy_that_is_not_a_plain_pdf_is_refused_and_nothing_is_kept(
    api, tmp_path, content, status
):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")

    refused = upload_copy(api, convention["id"], content)

    assert refused.status_code == status
    assert not (tmp_path / "signed-copies").exists()


def test_a_countersigned_copy_above_the_limit_is_a_413(database_url, tmp_path, api_for):
    with service_app(create_app, database_url, tmp_path, signed_copy_max_bytes=2048) as app:
        api = api_for(app.test_client())
        convention = api.convention(api.structure("974"), signed_on="2021-03-15")
        refused = upload_copy(api, convention["id"], a_pdf(pages=40))

    assert refused.status_code == 413
    assert not (tmp_path / "signed-copies").exists()


def test_a_batch_renders_every_convention_with_progress_and_gives_a_zip(
    documents_api, documents_app, converter_url
):
    structure = documents_api.structure("974")
    conventions = [documents_api.convention(structure, signed_on="2021-03-15") for _ in range(3)]
    documents_api.convention(structure)  # a draft: not in "every signed convention"

    batch = documents_api.call("POST", "/document-batches", 202, {"format": "pdf"})
    documents_api.call("GET", f"/document-batches/{batch['id']}/archive", 409)
    context = documents_app.extensions["cnum"]  # its adapters use the session's converter (converter_url)
    summary = run_document_batches(
        context.unit_of_work, RunDocumentBatches(today=date(2026, 11, 25), concurrency=2), context.adapters
    )
    done = documents_api.call("GET", f"/document-batches/{batch['id']}", 200)
    archive = documents_api.client.get(
        f"/api/v1/document-batches/{batch['id']}/archive", headers=bearer("legal")
    )

    assert (batch["status"], batch["total"], batch["progress"]) == ("queued", 3, 0)
    assert "3 ok, 0 en échec" in summary
    assert (done["status"], done["done"], done["failed"], done["progress"]) == ("done", 3, 0, 100)
    names = sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist())
    assert names == sorted(f"convention-{convention['reference']}.pdf" for convention in conventions)
    assert documents_api.call(
        "POST", "/document-batches", 422, {"convention_ids": ["00000000-0000-0000-0000-000000000000"]}
    )


def test_without_a_broker_the_job_renders_a_batch_in_its_embedded_queue_and_publishes_again_a_lost_one(
    documents_api, documents_app
):
    """No CNUM_BROKER_URL (`make run`): the scheduler's job publishes on the embedded queue, whose threads
    render in its process, and waits for them. A batch whose messages went to another process's embedded
    queue (a scheduler that restarted) is published again from its pending items (decision 0036)."""
    structure = documents_api.structure("974")
    conventions = [documents_api.convention(structure, signed_on="2021-03-15") for _ in range(3)]
    context = documents_app.extensions["cnum"]
    run_job = next(job for job in JOBS if job.name == "run_document_batches")
    lost = documents_api.call("POST", "/document-batches", 202, {"convention_ids": [conventions[0]["id"]]})
    with context.unit_of_work() as uow:  # a scheduler took it, published it and stopped
        batches.claim_next_batch(uow, "run_document_batches")
        assert uow.document_batches.mark_published(uuid.UUID(lost["id"]), "embedded:a-stopped-process")
        uow.commit()
    batch = documents_api.call("POST", "/document-batches", 202, {"format": "pdf"})
    try:
        summary = run_job.function(context, date(2026, 11, 25))
        again = run_job.function(context, date(2026, 11, 25))
    finally:
        batch_queue(context).close()
    done = documents_api.call("GET", f"/document-batches/{batch['id']}", 200)
    resumed = documents_api.call("GET", f"/document-batches/{lost['id']}", 200)
    archive = documents_api.client.get(
        f"/api/v1/document-batches/{batch['id']}/archive", headers=bearer("legal")
    )

    assert summary == f"{lost['id']}: 1 ok, 0 en échec; {batch['id']}: 3 ok, 0 en échec"
    assert again == "aucun lot en attente"
    assert (done["status"], done["done"], done["failed"], done["progress"]) == ("done", 3, 0, 100)
    assert (resumed["status"], resumed["done"], resumed["failed"]) == ("done", 1, 0)
    names = sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist())
    assert names == sorted(f"convention-{convention['reference']}.pdf" for convention in conventions)
    with context.unit_of_work() as uow:
        history = uow.history.of("document_batch", uuid.UUID(lost["id"]))
        moves = [(move.from_status, move.to_status, move.event) for move in history]
    with context.database.session() as session:
        documents = session.execute(
            select(GeneratedDocument.convention_id).where(GeneratedDocument.template_name == "convention")
        ).scalars()
        # The first convention is in both batches: rendered once, stored once.
        assert sorted(map(str, documents)) == sorted(convention["id"] for convention in conventions)
    assert moves == [
        (None, "queued", "create"),
        ("queued", "running", "start"),
        ("running", "running", "resume"),
        ("running", "done", "finish"),
    ]
