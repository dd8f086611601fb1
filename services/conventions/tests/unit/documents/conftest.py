"""Fakes for the document use cases, given to the tests as fixtures: a unit of work with in-memory
repositories and a transition list, and document adapters that render, convert and store without
LibreOffice or a disk (as cosmicpython's FakeUnitOfWork). What they produce is plain and predictable,
so that the tests can compute it."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cnum_shared.core.signatures import PdfSignatures
from cnum_shared.framework.db import utcnow
from cnum_shared.testing.fakes import FakeUnitOfWork
from conventions.adapters.orm import (
    Advisor,
    Contract,
    Convention,
    ConventionAmendment,
    DocumentBatch,
    DocumentBatchItem,
    DocumentDownload,
    GeneratedDocument,
    SignedCopy,
    Structure,
    TemplateVersion,
)
from conventions.domain.document_batches import WAITING, BatchItemStatus
from conventions.domain.documents import BatchEntry, ConverterUnavailable, DocumentKey, UnreadablePdf


class FakeTemplates:
    def __init__(self) -> None:
        self.rows: dict[str, TemplateVersion] = {}

    def get(self, sha256):
        return self.rows.get(sha256)

    def stored_sha256s(self):
        return set(self.rows)

    def add(self, template):
        self.rows[template.sha256] = template

    def versions(self, template_name):
        found = [row for row in self.rows.values() if row.template_name == template_name]
        return sorted(found, key=lambda row: (row.effective_from, row.created_at), reverse=True)

    def in_force(self, template_name, legal_date):
        return next((row for row in self.versions(template_name) if row.effective_from <= legal_date), None)


class FakeGeneratedDocuments:
    def __init__(self) -> None:
        self.rows: list[GeneratedDocument] = []

    def find(self, key: DocumentKey):
        return next(
            (
                row
                for row in self.rows
                if (row.subject_id, row.template_name, row.format, row.template_sha256, row.data_sha256)
                == (key.subject_id, key.template_name, key.format, key.template_sha256, key.data_sha256)
            ),
            None,
        )

    def add(self, document):
        self.rows.append(document)

    def with_sha256(self, sha256):
        return next((row for row in self.rows if row.sha256 == sha256), None)

    def purged(self, subject_id, template_name, fmt):
        return [
            (row.format, row.sha256)
            for row in self.rows
            if (row.subject_id, row.template_name, row.format) == (subject_id, template_name, fmt)
            and row.purged_on is not None
        ]


class FakeDownloadLog:
    def __init__(self) -> None:
        self.lines: list[DocumentDownload] = []

    def add(self, download):
        self.lines.append(download)

    def of_convention(self, convention_id):
        return [line for line in reversed(self.lines) if line.convention_id == convention_id]


class FakeSignedCopies:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, SignedCopy] = {}

    def get(self, copy_id):
        return self.rows.get(copy_id)

    def add(self, copy):
        self.rows[copy.id] = copy

    def of_convention(self, convention_id):
        return [row for row in reversed(self.rows.values()) if row.convention_id == convention_id]


class FakeSubjects:
    def __init__(self) -> None:
        self.conventions: dict[uuid.UUID, Convention] = {}
        self.amendments: dict[uuid.UUID, ConventionAmendment] = {}
        self.contracts: dict[uuid.UUID, Contract] = {}

    def convention(self, convention_id):
        return self.conventions.get(convention_id)

    def amendment(self, amendment_id):
        return self.amendments.get(amendment_id)

    def contract(self, contract_id):
        return self.contracts.get(contract_id)

    def contracts_of(self, convention_id):
        return [row for row in self.contracts.values() if row.convention_id == convention_id]

    def known_conventions(self, convention_ids):
        return {convention_id for convention_id in convention_ids if convention_id in self.conventions}

    def signed_conventions(self):
        signed = [row for row in self.conventions.values() if row.status in ("signed", "amended")]
        return [row.id for row in sorted(signed, key=lambda row: row.reference)]


class FakeBatches:
    def __init__(self, subjects: FakeSubjects, documents: FakeGeneratedDocuments) -> None:
        self.batches: dict[uuid.UUID, DocumentBatch] = {}
        self.items: dict[uuid.UUID, DocumentBatchItem] = {}
        self._subjects = subjects
        self._documents = documents

    def get(self, batch_id):
        return self.batches.get(batch_id)

    def add(self, batch, convention_ids):
        self.batches[batch.id] = batch
        for position, convention_id in enumerate(convention_ids, start=1):
            item = DocumentBatchItem(
                id=uuid.uuid4(),
                batch_id=batch.id,
                position=position,
                convention_id=convention_id,
                status=BatchItemStatus.PENDING,
            )
            self.items[item.id] = item

    def oldest_waiting(self):
        waiting = [batch for batch in self.batches.values() if batch.status in WAITING]
        return min(waiting, key=lambda batch: batch.created_at, default=None)

    def waiting(self):
        waiting = [batch for batch in self.batches.values() if batch.status in WAITING]
        return [batch.id for batch in sorted(waiting, key=lambda batch: batch.created_at)]

    def claim(self, batch, status, started_at):
        if batch.started_at is None:
            batch.started_at = started_at
        return True

    def has_pending(self, batch_id):
        return bool(self.pending_items(batch_id))

    def complete(self, item_id, status, *, document_id, error):
        item = self.items[item_id]
        if item.status != BatchItemStatus.PENDING:
            return False
        item.status, item.document_id, item.error = status, document_id, error
        return True

    def mark_published(self, batch_id, queue):
        batch = self.batches[batch_id]
        if batch.status != "running" or batch.published_to == queue:
            return False
        batch.published_to = queue
        return True

    def of_batch(self, batch_id):
        return sorted(
            (item for item in self.items.values() if item.batch_id == batch_id),
            key=lambda item: item.position,
        )

    def pending_items(self, batch_id):
        return [item.id for item in self.of_batch(batch_id) if item.status == BatchItemStatus.PENDING]

    def item(self, item_id):
        return self.items.get(item_id)

    def count(self, batch_id, *, done=0, failed=0):
        batch = self.batches[batch_id]
        batch.done += done
        batch.failed += failed

    def rendered(self, batch_id):
        entries = []
        for item in self.of_batch(batch_id):
            if item.status != BatchItemStatus.DONE:
                continue
            document = next(row for row in self._documents.rows if row.id == item.document_id)
            reference = self._subjects.conventions[item.convention_id].reference
            entries.append(BatchEntry(item.position, reference, document.path, document.format))
        return entries


class FakeDocumentsUnitOfWork(FakeUnitOfWork):
    """The DocumentsUnitOfWork of the use cases, in memory: commits are counted, never undone."""

    def __init__(self) -> None:
        super().__init__()
        self.templates = FakeTemplates()
        self.generated_documents = FakeGeneratedDocuments()
        self.downloads = FakeDownloadLog()
        self.signed_copies = FakeSignedCopies()
        self.document_subjects = FakeSubjects()
        self.document_batches = FakeBatches(self.document_subjects, self.generated_documents)


# --- Adapters -----------------------------------------------------------------------------------------


def rendered_docx(template: bytes, reference: str) -> bytes:
    """What FakeRenderer renders: the template's bytes and the document's reference."""
    return b"DOCX|" + template + b"|" + reference.encode()


class FakeRenderer:
    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render(self, template_name, template, data):
        self.rendered.append(data["document"]["reference"])
        return rendered_docx(template, data["document"]["reference"])

    def lint(self, template_name, template):
        return ["Variable inconnue : secret"] if b"{{ secret }}" in template else []

    def data_sha256(self, data):
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def built_in(self, template_name):
        return [(date(2020, 11, 1), f"built-in {template_name}".encode())]


class FakeConverter:
    """PDF bytes made of the DOCX; refuses the documents whose reference is in `failing`."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.refusal: Exception | None = None
        self.conversions = 0

    def convert(self, docx: bytes) -> bytes:
        if self.refusal is not None:
            raise self.refusal
        if any(reference.encode() in docx for reference in self.failing):
            raise ConverterUnavailable("converter answered 502: LibreOffice failed twice")
        self.conversions += 1
        return b"%PDF-" + docx


class FakePdfTools:
    def provenance(self, *, template_name, template_sha256, data_sha256, generator):
        """A metadata change whose packet names the template version (FakeSeal appends it)."""
        return lambda packet, info: (f"|{template_sha256}".encode(), info)

    def pages(self, pdf):
        if not pdf.startswith(b"%PDF-"):
            raise UnreadablePdf("Le fichier n'est pas un PDF (signature %PDF absente).")
        return pdf.count(b"/Page")


class FakeSeal:
    """Marks what it seals; the real seal (pyHanko) is tested on real PDFs in the API tests."""

    def __init__(self) -> None:
        self.sealed = 0

    def seal(self, pdf, metadata=None):
        self.sealed += 1
        packet = metadata(None, {})[0] if metadata is not None else b""
        return pdf + packet + b"|sealed"

    def check(self, pdf):
        return PdfSignatures(())


class FakeFileStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.archives: dict[str, list[tuple[str, str]]] = {}

    def absolute(self, path):
        return Path("/fake-var") / path

    def exists(self, path):
        return path in self.files

    def read(self, path):
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    def write(self, path, content):
        self.files[path] = content

    def write_zip(self, path, members):
        self.archives[path] = [(self.files[member] and member, name) for member, name in members]


@dataclass
class FakeDocumentAdapters:
    converter: FakeConverter = field(default_factory=FakeConverter)
    renderer: FakeRenderer = field(default_factory=FakeRenderer)
    pdf: FakePdfTools = field(default_factory=FakePdfTools)
    store: FakeFileStore = field(default_factory=FakeFileStore)
    seal: FakeSeal = field(default_factory=FakeSeal)
    generator: str = "cnum-conventions (tests)"


# --- Subjects -----------------------------------------------------------------------------------------


def a_structure(**changes: object) -> Structure:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "name": "Commune du Tampon",
        "siret": "21974022900013",
        "kind": "public",
        "structure_type": "commune",
        "department": "974",
        "address": "256 rue Hubert Delisle",
        "postcode": "97430",
        "city": "Le Tampon",
        "email": "mairie@letampon.fr",
        "qpv_zrr": False,
        "iban": "FR7630001007941234567890185",
        "bic": None,
    }
    return Structure(**{**values, **changes})


def a_convention(
    uow: FakeDocumentsUnitOfWork, structure: Structure, reference: str, **changes: object
) -> Convention:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "reference": reference,
        "structure_id": structure.id,
        "structure": structure,
        "wave": "initial",
        "posts": 2,
        "initial_posts": 2,
        "start_date": date(2021, 4, 1),
        "end_date": date(2023, 3, 31),
        "duration_months": 24,
        "funded_months": 24,
        "amount_per_post": Decimal("50000.00"),
        "total_amount": Decimal("100000.00"),
        "status": "signed",
        "signed_on": date(2021, 3, 15),
        "funding_periods": [],
        "tranches": [],
        "created_at": utcnow(),
    }
    convention = Convention(**{**values, **changes})
    uow.document_subjects.conventions[convention.id] = convention
    return convention


def a_cdi_avenant_contract(
    uow: FakeDocumentsUnitOfWork, convention: Convention, anonymised_on: date | None = None
) -> Contract:
    advisor = Advisor(
        id=uuid.uuid4(),
        first_name="Léa",
        last_name="Payet",
        birth_date=date(1990, 5, 2),
        anonymised_on=anonymised_on,
    )
    contract = Contract(
        id=uuid.uuid4(),
        convention_id=convention.id,
        structure_id=convention.structure_id,
        advisor=advisor,
        contract_type="cdi",
        existing_cdi_employee=True,
        start_date=date(2021, 5, 1),
        weekly_hours=Decimal("35.00"),
        gross_monthly_salary=Decimal("1900.00"),
        signed_on=date(2021, 4, 20),
    )
    uow.document_subjects.contracts[contract.id] = contract
    return contract


# --- Fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def uow() -> FakeDocumentsUnitOfWork:
    return FakeDocumentsUnitOfWork()


@pytest.fixture
def adapters() -> FakeDocumentAdapters:
    return FakeDocumentAdapters()


@pytest.fixture
def structure() -> Structure:
    return a_structure()


@pytest.fixture
def make_convention(uow, structure):
    """Make a convention of the structure: make_convention(reference, **changes)."""
    return lambda reference, **changes: a_convention(uow, structure, reference, **changes)


@pytest.fixture
def make_cdi_contract(uow):
    """The contract of a CDI employee moved to a post: make_cdi_contract(convention, anonymised_on)."""
    return lambda convention, anonymised_on=None: a_cdi_avenant_contract(uow, convention, anonymised_on)
