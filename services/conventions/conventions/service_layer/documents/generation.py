"""The convention, its avenants, the contract avenant, the final statement and the recovery orders:
rendered once per (subject, template version, data), stored, served again as the same bytes, every
download logged.

A document's provenance (template, template version, data hash, generator) is in the PDF metadata and in
the response headers; every PDF carries the agency's electronic seal (decision 0023). The template is
the version in force on the document's legal date: the signature date, or the start (the effective
date of an avenant) while it is unsigned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import Convention, GeneratedDocument, RecoveryOrder
from conventions.domain.contracts import MOVABLE_TYPES, ContractType
from conventions.domain.documents import (
    MEDIA_TYPES,
    ConversionFailed,
    ConverterBusy,
    ConverterUnavailable,
    DocumentKey,
    Duplicate,
    RenderingRefused,
    TemplateName,
)
from conventions.domain.personal_data import purged_avenant_message
from conventions.service_layer.documents.commands import (
    DownloadAmendmentDocument,
    DownloadContractAvenant,
    DownloadConventionDocument,
    DownloadFinalStatement,
    DownloadRecoveryOrder,
    Reader,
)
from conventions.service_layer.documents.content import (
    amendment_data,
    amendment_legal_date,
    contract_avenant_data,
    contract_legal_date,
    convention_data,
    convention_legal_date,
    final_statement_data,
    final_statement_legal_date,
    recovery_order_data,
    recovery_order_legal_date,
    statement_contract_ids,
)
from conventions.service_layer.documents.downloads import record_download
from conventions.service_layer.documents.errors import (
    AmendmentNotFound,
    ContractNotFound,
    ConventionNotFound,
    DocumentNotAvailable,
    DocumentPurged,
    FinalStatementNotArrived,
    RecoveryOrderNotFound,
    TemplateUnusable,
    converter_busy,
    converter_unavailable,
)
from conventions.service_layer.documents.ports import DocumentAdapters, DocumentsUnitOfWork
from conventions.service_layer.documents.templates import sha256_of, template_in_force


@dataclass(frozen=True)
class StoredDocument:
    record: GeneratedDocument
    content: bytes
    media_type: str
    file_name: str


@dataclass(frozen=True)
class DocumentRequest:
    """One document to render: its template, subject, legal date and data."""

    template_name: str
    subject_id: uuid.UUID
    convention_id: uuid.UUID
    legal_date: date
    data: dict[str, Any]
    format: str
    file_stem: str


def render_document(
    uow: DocumentsUnitOfWork, request: DocumentRequest, adapters: DocumentAdapters
) -> StoredDocument:
    """The stored document for this data and template version, rendered and stored the first time."""
    template_name, fmt, store = request.template_name, request.format, adapters.store
    file_name = f"{request.file_stem}.{fmt}"
    template = template_in_force(uow, template_name, request.legal_date, adapters)
    # The generation date is not part of what the document says: leave it out of the data hash.
    data_sha256 = adapters.renderer.data_sha256(
        {key: value for key, value in request.data.items() if key != "document"}
    )
    key = DocumentKey(request.subject_id, template_name, fmt, template.sha256, data_sha256)
    existing = uow.generated_documents.find(key)
    if existing is not None and store.exists(existing.path):
        return StoredDocument(existing, store.read(existing.path), MEDIA_TYPES[fmt], file_name)
    template_content, template_sha256 = template.content, template.sha256
    # End the read transaction before rendering and converting: on SQLite a transaction holds the write
    # lock, and a conversion takes a tenth of a second or more (batches render several at once).
    uow.commit()
    try:
        content = adapters.renderer.render(template_name, template_content, request.data)
    except RenderingRefused as error:
        raise TemplateUnusable(
            f"Le modèle « {template_name} » en vigueur (version {template_sha256[:12]}) ne peut pas produire "
            f"ce document : {error}"
        ) from error
    if fmt == "pdf":
        # The agency's seal is one incremental update over the converter's file that also states the
        # provenance in the metadata (decisions 0023, 0041): what is stored and served is the sealed file,
        # and its SHA-256 names it. A DOCX is not sealed.
        provenance = adapters.pdf.provenance(
            template_name=template_name,
            template_sha256=template_sha256,
            data_sha256=data_sha256,
            generator=adapters.generator,
        )
        content = adapters.seal.seal(_converted(adapters, content), provenance)
    sha256 = sha256_of(content)
    relative = f"documents/{template_name}/{sha256}.{fmt}"
    store.write(relative, content)
    if existing is not None:  # the row survived but its file was lost: point it at the new file
        existing.path, existing.sha256, existing.size_bytes = relative, sha256, len(content)
        uow.commit()
        return StoredDocument(existing, content, MEDIA_TYPES[fmt], file_name)
    record = GeneratedDocument(
        id=uuid.uuid4(),
        template_name=template_name,
        subject_id=request.subject_id,
        convention_id=request.convention_id,
        format=fmt,
        template_sha256=template_sha256,
        data_sha256=data_sha256,
        sha256=sha256,
        path=relative,
        size_bytes=len(content),
        created_at=utcnow(),
    )
    try:
        uow.generated_documents.add(record)
        uow.commit()
    except Duplicate:
        # Another request rendered the same document meanwhile: serve the one stored first.
        uow.rollback()
        found = uow.generated_documents.find(key)
        assert found is not None
        record, content = found, store.read(found.path)
    return StoredDocument(record, content, MEDIA_TYPES[fmt], file_name)


def _converted(adapters: DocumentAdapters, docx: bytes) -> bytes:
    try:
        return adapters.converter.convert(docx)
    except ConverterBusy as error:
        raise converter_busy(error.retry_after) from error
    except (ConverterUnavailable, ConversionFailed) as error:
        raise converter_unavailable() from error


def _visible_convention(
    uow: DocumentsUnitOfWork, convention_id: uuid.UUID, reader: Reader | None
) -> Convention:
    convention = uow.document_subjects.convention(convention_id)
    if convention is None or (
        reader is not None and not reader.principal.may_see_structure(convention.structure_id)
    ):
        raise ConventionNotFound()
    return convention


def convention_document(
    uow: DocumentsUnitOfWork, convention_id: uuid.UUID, fmt: str, today: date, adapters: DocumentAdapters
) -> StoredDocument:
    """The subsidy convention, rendered (or reused) and stored."""
    convention = uow.document_subjects.convention(convention_id)
    if convention is None:
        raise ConventionNotFound()
    return render_document(
        uow,
        DocumentRequest(
            template_name=TemplateName.CONVENTION,
            subject_id=convention.id,
            convention_id=convention.id,
            legal_date=convention_legal_date(convention),
            data=convention_data(convention, today, uow.parameters),
            format=fmt,
            file_stem=f"convention-{convention.reference}",
        ),
        adapters,
    )


def download_convention_document(
    uow: DocumentsUnitOfWork, command: DownloadConventionDocument, adapters: DocumentAdapters
) -> StoredDocument:
    """The subsidy convention as PDF or DOCX, the download logged."""
    _visible_convention(uow, command.convention_id, command.reader)
    stored = convention_document(uow, command.convention_id, command.format, command.today, adapters)
    record_download(uow, stored.record, command.reader)
    return stored


def download_amendment_document(
    uow: DocumentsUnitOfWork, command: DownloadAmendmentDocument, adapters: DocumentAdapters
) -> StoredDocument:
    """A convention avenant as PDF or DOCX, the download logged."""
    convention = _visible_convention(uow, command.convention_id, command.reader)
    amendment = uow.document_subjects.amendment(command.amendment_id)
    if amendment is None or amendment.convention_id != convention.id:
        raise AmendmentNotFound()
    stored = render_document(
        uow,
        DocumentRequest(
            template_name=TemplateName.CONVENTION_AVENANT,
            subject_id=amendment.id,
            convention_id=convention.id,
            legal_date=amendment_legal_date(amendment),
            data=amendment_data(convention, amendment, command.today, uow.parameters),
            format=command.format,
            file_stem=f"avenant-{amendment.number}-{convention.reference}",
        ),
        adapters,
    )
    record_download(uow, stored.record, command.reader)
    return stored


def download_contract_avenant(
    uow: DocumentsUnitOfWork, command: DownloadContractAvenant, adapters: DocumentAdapters
) -> StoredDocument:
    """The employment-contract avenant of an employee already on a permanent post moved to the advisor
    post, the download logged.

    Only such a contract has one; past retention it is gone with the person's data (DocumentPurged).
    """
    contract = uow.document_subjects.contract(command.contract_id)
    if contract is None or not command.reader.principal.may_see_structure(contract.structure_id):
        raise ContractNotFound()
    # An existing employee moves on their CDI, or a public employer's civil servant on their status
    # (decision 0026): both by an avenant.
    if not (contract.existing_cdi_employee and ContractType(contract.contract_type) in MOVABLE_TYPES):
        raise DocumentNotAvailable("ce contrat n'est pas le passage au poste d'une personne déjà employée")
    anonymised_on = contract.advisor.anonymised_on
    if anonymised_on is not None:
        # Never rendered again from the neutral values: the avenant is gone with the person's data.
        raise DocumentPurged(
            purged_avenant_message(anonymised_on),
            anonymised_on,
            uow.generated_documents.purged(contract.id, TemplateName.CONTRACT_AVENANT, command.format),
        )
    convention = uow.document_subjects.convention(contract.convention_id)
    if convention is None:
        raise ConventionNotFound()
    stored = render_document(
        uow,
        DocumentRequest(
            template_name=TemplateName.CONTRACT_AVENANT,
            subject_id=contract.id,
            convention_id=convention.id,
            legal_date=contract_legal_date(contract),
            data=contract_avenant_data(convention, contract, command.today, uow.parameters),
            format=command.format,
            file_stem=f"avenant-contrat-{contract.advisor.last_name.lower()}-{convention.reference}",
        ),
        adapters,
    )
    record_download(uow, stored.record, command.reader)
    return stored


def final_statement_document(
    uow: DocumentsUnitOfWork, convention_id: uuid.UUID, fmt: str, today: date, adapters: DocumentAdapters
) -> StoredDocument:
    """The final statement (décompte final) of a closed convention, with payments' figures as
    `final_statement.settled` carried them, rendered (or reused) and stored; 404 until that event has
    arrived."""
    convention = uow.document_subjects.convention(convention_id)
    if convention is None:
        raise ConventionNotFound()
    statement = uow.final_statements.get(convention.id)
    if statement is None:
        raise FinalStatementNotArrived()
    # The statement's contracts, read in one query (a year's archive renders a statement per convention).
    named = set(statement_contract_ids(statement))
    contracts = {
        contract.id: contract
        for contract in uow.document_subjects.contracts_of(convention.id)
        if contract.id in named
    }
    return render_document(
        uow,
        DocumentRequest(
            template_name=TemplateName.FINAL_STATEMENT,
            subject_id=convention.id,
            convention_id=convention.id,
            legal_date=final_statement_legal_date(statement),
            data=final_statement_data(convention, statement, contracts, today, uow.parameters),
            format=fmt,
            file_stem=f"decompte-final-{convention.reference}",
        ),
        adapters,
    )


def download_final_statement(
    uow: DocumentsUnitOfWork, command: DownloadFinalStatement, adapters: DocumentAdapters
) -> StoredDocument:
    """The final statement of a closed convention as PDF or DOCX, the download logged."""
    _visible_convention(uow, command.convention_id, command.reader)
    stored = final_statement_document(uow, command.convention_id, command.format, command.today, adapters)
    record_download(uow, stored.record, command.reader)
    return stored


def visible_recovery_order(
    uow: DocumentsUnitOfWork, recovery_id: uuid.UUID, reader: Reader | None
) -> RecoveryOrder:
    """A recovery order, or a 404 when none was received or it is another structure's."""
    order = uow.recovery_orders.get(recovery_id)
    if order is None or (reader is not None and not reader.principal.may_see_structure(order.structure_id)):
        raise RecoveryOrderNotFound()
    return order


def download_recovery_order(
    uow: DocumentsUnitOfWork, command: DownloadRecoveryOrder, adapters: DocumentAdapters
) -> StoredDocument:
    """The order (ordre de reversement) of a recovery, with payments' figures as `recovery.issued`
    carried them, the download logged."""
    order = visible_recovery_order(uow, command.recovery_id, command.reader)
    convention = uow.document_subjects.convention(order.convention_id)
    if convention is None:
        raise RecoveryOrderNotFound()
    contract = uow.document_subjects.contract(order.contract_id) if order.contract_id is not None else None
    stored = render_document(
        uow,
        DocumentRequest(
            template_name=TemplateName.RECOVERY_ORDER,
            subject_id=order.recovery_id,
            convention_id=convention.id,
            legal_date=recovery_order_legal_date(order),
            data=recovery_order_data(convention, order, contract, command.today, uow.parameters),
            format=command.format,
            file_stem=f"ordre-de-reversement-{convention.reference}-{order.payment_reference}",
        ),
        adapters,
    )
    record_download(uow, stored.record, command.reader)
    return stored
