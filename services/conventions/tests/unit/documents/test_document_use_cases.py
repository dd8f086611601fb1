"""The document use cases on fakes (no database, no LibreOffice): the template in force on the legal
date, the download log, the countersigned copy, the batches' progress and their state moves."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest

from cnum_shared.framework.auth import Principal, Role
from conventions.domain.document_batches import BatchItemStatus, BatchStatus
from conventions.domain.documents import ConverterBusy
from conventions.service_layer import batches
from conventions.service_layer.documents import (
    DownloadContractAvenant,
    DownloadConventionDocument,
    DownloadSignedCopy,
    Reader,
    RequestBatch,
    RunDocumentBatches,
    StoreSignedCopy,
    UploadTemplateVersion,
    download_contract_avenant,
    download_convention_document,
    download_signed_copy,
    list_downloads,
    store_signed_copy,
    upload_template_version,
)
from conventions.service_layer.documents.errors import (
    BatchNotReady,
    ConventionNotFound,
    ConverterRefused,
    DocumentPurged,
    InvalidBatch,
    SignedCopyUnavailable,
    TemplateRejected,
)

TODAY = date(2026, 11, 25)
LEGAL = Principal(sub="juriste@anct.gouv.fr", role=Role.LEGAL)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def rendered_docx(template: bytes, reference: str) -> bytes:
    """What the fake renderer makes of a template: its bytes and the document's reference."""
    return b"DOCX|" + template + b"|" + reference.encode()


def download(uow, adapters, convention, fmt="pdf", principal=LEGAL, address="203.0.113.7"):
    command = DownloadConventionDocument(convention.id, fmt, TODAY, Reader(principal, address))
    return download_convention_document(uow, command, adapters)


# --- Templates ----------------------------------------------------------------------------------------


def test_the_template_in_force_on_the_signature_date_renders_the_convention(uow, adapters, make_convention):
    version_2023 = b"convention template, version 2023"
    upload_template_version(
        uow, UploadTemplateVersion("convention", version_2023, date(2023, 1, 1), "juriste"), adapters
    )
    signed_2022 = make_convention("CN-2022-0001", signed_on=date(2022, 12, 31))
    signed_2023 = make_convention("CN-2023-0001", signed_on=date(2023, 1, 1))

    old = download(uow, adapters, signed_2022, fmt="docx")
    new = download(uow, adapters, signed_2023, fmt="docx")

    assert old.record.template_sha256 == sha256(b"built-in convention")
    assert new.record.template_sha256 == sha256(version_2023)
    assert new.content == rendered_docx(version_2023, "CN-2023-0001")
    assert new.media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert new.file_name == "convention-CN-2023-0001.docx"


def test_an_unsigned_convention_takes_the_template_in_force_on_its_start(uow, adapters, make_convention):
    version_2023 = b"convention template, version 2023"
    upload_template_version(
        uow, UploadTemplateVersion("convention", version_2023, date(2023, 1, 1), "juriste"), adapters
    )
    draft = make_convention("CN-2023-0002", status="draft", signed_on=None, start_date=date(2023, 2, 1))

    assert download(uow, adapters, draft, fmt="docx").record.template_sha256 == sha256(version_2023)


def test_a_template_the_linter_refuses_is_not_stored(uow, adapters):
    with pytest.raises(TemplateRejected) as refused:
        upload_template_version(
            uow,
            UploadTemplateVersion("convention", b"Montant : {{ secret }}", date(2024, 1, 1), "juriste"),
            adapters,
        )

    assert (refused.value.status, refused.value.message) == (422, "Modèle refusé.")
    assert refused.value.errors == {"template": ["Variable inconnue : secret"]}
    # Only the built-in versions: one of each of the five templates (convention, its avenant, the contract
    # avenant, the final statement, the recovery order).
    assert [row.uploaded_by for row in uow.templates.rows.values()] == ["cnum (modèle livré)"] * 5


# --- Generation and the download log ------------------------------------------------------------------


def test_a_pdf_is_converted_stamped_sealed_stored_and_its_download_logged(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")

    stored = download(uow, adapters, convention)

    template_sha256 = sha256(b"built-in convention")
    # Converted, then sealed with its provenance in the seal's update: the stored file (and its SHA-256)
    # is the sealed one.
    expected = (
        b"%PDF-"
        + rendered_docx(b"built-in convention", "CN-2021-0001")
        + f"|{template_sha256}".encode()
        + b"|sealed"
    )
    assert stored.content == expected
    assert stored.record.sha256 == sha256(expected)
    assert adapters.store.files[f"documents/convention/{sha256(expected)}.pdf"] == expected
    [line] = uow.downloads.lines
    assert (line.document_id, line.convention_id, line.template_name) == (
        stored.record.id,
        convention.id,
        "convention",
    )
    assert (line.downloaded_by, line.role, line.client_address) == (
        "juriste@anct.gouv.fr",
        "legal",
        "203.0.113.7",
    )
    assert (line.format, line.sha256, line.template_sha256) == ("pdf", sha256(expected), template_sha256)


def test_a_document_downloaded_twice_is_rendered_once_and_logged_twice(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")

    first = download(uow, adapters, convention)
    second = download(uow, adapters, convention)

    assert adapters.converter.conversions == 1
    assert second.record is first.record and second.content == first.content
    assert len(uow.downloads.lines) == 2
    assert [line.id for line in list_downloads(uow, convention.id)] == [
        line.id for line in reversed(uow.downloads.lines)
    ]


def test_a_structure_user_cannot_download_another_structures_convention(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")
    other = Principal(sub="mairie@ailleurs.fr", role=Role.STRUCTURE, structure_id=uuid.uuid4())

    with pytest.raises(ConventionNotFound) as refused:
        download(uow, adapters, convention, principal=other)

    assert (refused.value.status, refused.value.message) == (404, "Convention introuvable.")
    assert uow.downloads.lines == [] and adapters.renderer.rendered == []


def test_a_busy_converter_says_when_to_retry_and_nothing_is_logged(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")
    adapters.converter.refusal = ConverterBusy(3)

    with pytest.raises(ConverterRefused) as refused:
        download(uow, adapters, convention)

    assert refused.value.status == 503
    assert refused.value.message == "Le convertisseur PDF est occupé : réessayez dans un instant."
    assert refused.value.headers == {"Retry-After": "3"}
    assert uow.downloads.lines == [] and uow.generated_documents.rows == []


def test_the_avenant_of_an_anonymised_advisor_is_gone_with_her_data(
    uow, adapters, make_convention, make_cdi_contract
):
    convention = make_convention("CN-2021-0001")
    contract = make_cdi_contract(convention, anonymised_on=date(2026, 6, 30))
    command = DownloadContractAvenant(contract.id, "pdf", TODAY, Reader(LEGAL))

    with pytest.raises(DocumentPurged) as refused:
        download_contract_avenant(uow, command, adapters)

    assert refused.value.status == 410
    assert refused.value.message.startswith(
        "L'avenant au contrat de travail n'est plus conservé : il a été supprimé le"
    )
    assert refused.value.errors == {"purged_on": "2026-06-30", "documents": []}
    assert uow.downloads.lines == []


# --- Countersigned copies -----------------------------------------------------------------------------


def test_a_countersigned_copy_is_kept_and_served_checked_against_its_hash(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")
    pdf = b"%PDF-1.7 /Page /Page"

    copy = store_signed_copy(uow, StoreSignedCopy(convention.id, pdf, "signée.pdf", LEGAL), adapters)
    served, content = download_signed_copy(
        uow, DownloadSignedCopy(convention.id, copy.id, Reader(LEGAL)), adapters
    )

    assert (copy.sha256, copy.pages, copy.path) == (
        sha256(pdf),
        2,
        f"signed-copies/{convention.id}/{sha256(pdf)}.pdf",
    )
    assert (served, content) == (copy, pdf)
    [line] = uow.downloads.lines
    assert (line.signed_copy_id, line.template_name, line.template_sha256) == (copy.id, "signed_copy", None)


def test_an_altered_countersigned_copy_is_reported_not_served(uow, adapters, make_convention):
    convention = make_convention("CN-2021-0001")
    copy = store_signed_copy(uow, StoreSignedCopy(convention.id, b"%PDF-1.7", "signée.pdf", LEGAL), adapters)
    adapters.store.files[copy.path] = b"%PDF-1.7 altered"

    with pytest.raises(SignedCopyUnavailable) as refused:
        download_signed_copy(uow, DownloadSignedCopy(convention.id, copy.id, Reader(LEGAL)), adapters)

    assert refused.value.message == (
        "Copie signée indisponible : le fichier conservé manque ou ne correspond plus à son empreinte."
    )
    assert uow.downloads.lines == []


# --- Batches ------------------------------------------------------------------------------------------


def run(uow, adapters, concurrency=1):
    return batches.run_document_batches(
        lambda: uow, RunDocumentBatches(today=TODAY, concurrency=concurrency), adapters
    )


def test_a_batch_takes_every_signed_convention_and_starts_queued(uow, make_convention):
    second = make_convention("CN-2021-0002")
    first = make_convention("CN-2021-0001", status="amended")
    make_convention("CN-2021-0003", status="draft", signed_on=None)

    batch = batches.request_batch(uow, RequestBatch(None, "pdf", "juriste"))

    assert (batch.status, batch.total, batch.done, batch.failed) == (BatchStatus.QUEUED, 2, 0, 0)
    items = uow.document_batches.of_batch(batch.id)
    assert [(item.position, item.convention_id) for item in items] == [(1, first.id), (2, second.id)]
    [created] = uow.history.of(batch.id)
    assert (created.machine, created.from_status, created.to_status, created.event) == (
        "document_batch",
        None,
        "queued",
        "create",
    )
    assert created.actor == "juriste"


def test_a_batch_of_unknown_conventions_is_refused(uow):
    unknown = uuid.uuid4()

    with pytest.raises(InvalidBatch) as refused:
        batches.request_batch(uow, RequestBatch([unknown], "pdf", "juriste"))

    assert (refused.value.status, refused.value.message) == (422, "Lot invalide.")
    assert refused.value.errors == {"json": {"convention_ids": [f"Conventions inconnues : {unknown}"]}}
    assert uow.document_batches.batches == {}


def test_a_failed_document_is_reported_without_stopping_the_batch(uow, adapters, make_convention):
    conventions = [make_convention(f"CN-2021-000{number}") for number in (1, 2, 3)]
    batch = batches.request_batch(uow, RequestBatch([c.id for c in conventions], "pdf", "juriste"))
    adapters.converter.failing = {"CN-2021-0002"}
    with pytest.raises(BatchNotReady) as not_yet:
        batches.archive_path(uow, batch.id, adapters)

    summary = run(uow, adapters)

    assert (not_yet.value.status, not_yet.value.message, not_yet.value.headers) == (
        409,
        "Le lot n'est pas terminé.",
        {"Retry-After": "5"},
    )
    assert summary == f"{batch.id}: 2 ok, 1 en échec"
    assert (batch.status, batch.done, batch.failed) == (BatchStatus.DONE, 2, 1)
    items = uow.document_batches.of_batch(batch.id)
    assert [item.status for item in items] == [
        BatchItemStatus.DONE,
        BatchItemStatus.FAILED,
        BatchItemStatus.DONE,
    ]
    assert items[1].error == "ConverterRefused: Le convertisseur PDF est indisponible : réessayez plus tard."
    assert [name for _, name in adapters.store.archives[f"batches/{batch.id}.zip"]] == [
        "convention-CN-2021-0001.pdf",
        "convention-CN-2021-0003.pdf",
    ]
    assert batches.archive_path(uow, batch.id, adapters).name == f"{batch.id}.zip"
    moves = [(t.from_status, t.to_status, t.event) for t in uow.history.of(batch.id)]
    assert moves == [
        (None, "queued", "create"),
        ("queued", "running", "start"),
        ("running", "done", "finish"),
    ]


def test_a_batch_left_running_by_a_stopped_job_is_resumed_from_its_pending_items(
    uow, adapters, make_convention
):
    conventions = [make_convention(f"CN-2021-000{number}") for number in (1, 2)]
    batch = batches.request_batch(uow, RequestBatch([c.id for c in conventions], "docx", "juriste"))
    batches.claim_next_batch(uow, "run_document_batches")
    first = uow.document_batches.of_batch(batch.id)[0]
    batches.render_item(uow, first.id, "docx", TODAY, adapters)  # then the job stopped

    summary = run(uow, adapters)

    assert summary == f"{batch.id}: 2 ok, 0 en échec"
    assert adapters.renderer.rendered == ["CN-2021-0001", "CN-2021-0002"]  # the first one not rendered again
    moves = [(t.from_status, t.to_status, t.event) for t in uow.history.of(batch.id)]
    assert moves[1:] == [
        ("queued", "running", "start"),
        ("running", "running", "resume"),
        ("running", "done", "finish"),
    ]


def test_the_job_says_when_no_batch_is_waiting(uow, adapters):
    assert run(uow, adapters) == "aucun lot en attente"
