"""Documents: template versions, rendering and storing the convention, its avenants and the contract
avenant, the download log, the countersigned copy.

A document is rendered once per (subject, template version, data) and stored under the var directory;
downloading it again gives the same bytes. Its provenance (template, template version, data hash,
generator) is in the PDF metadata and in the response headers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cnum_shared.core import legal
from cnum_shared.core.legal import StructureKind, Wave
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.uploads import write_atomically
from conventions.adapters import documents as rendering
from conventions.adapters.document_context import template_context
from conventions.adapters.orm import (
    Contract,
    Convention,
    ConventionAmendment,
    DocumentDownload,
    GeneratedDocument,
    SignedCopy,
    Structure,
    TemplateVersion,
)
from conventions.adapters.pdf import check_uploaded_pdf, stamp_provenance
from conventions.domain.personal_data import purged_avenant_message
from conventions.service_layer.conventions import (
    amendment_schedule,
    funding_periods_wire,
    get_amendment,
    get_convention,
)

logger = logging.getLogger(__name__)

TEMPLATE_NAMES = ("convention", "convention_avenant", "contract_avenant")
#: Built-in versions apply from the first day a convention may start (the initial wave, 2020).
BUILT_IN_EFFECTIVE_FROM = date(2020, 1, 1)
GENERATOR = f"cnum-conventions {version('cnum-conventions')}"

#: Converts a DOCX to a PDF (the warm LibreOffice pool in production, the same in tests).
Converter = Callable[[bytes], bytes]


class TemplateRejected(ValueError):
    """An uploaded template cannot be used; `problems` lists why (a 422)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class TemplateVersionExists(Exception):
    """The same bytes are already a version of this template (a 409)."""


class TemplateUnusable(Exception):
    """The template version in force cannot render this document (too large, too slow, refused): a 409."""


class DocumentNotAvailable(LookupError):
    """The subject has no such document (an avenant for a contract that is not a CDI move…)."""


class DocumentPurged(LookupError):
    """The document existed but was deleted with its subject's personal data, past retention (a 410).

    `purged` lists what was deleted in the asked format: (format, SHA-256) of each stored version.
    """

    def __init__(self, message: str, purged_on: date, purged: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.purged_on = purged_on
        self.purged = purged


#: The template name of a countersigned copy's lines in the download log (it has no template).
SIGNED_COPY = "signed_copy"


@dataclass(frozen=True)
class StoredDocument:
    record: GeneratedDocument
    content: bytes
    media_type: str
    file_name: str


# --- Template versions --------------------------------------------------------------------------------


def _built_in(template_name: str) -> bytes:
    return resources.files("conventions.templates").joinpath(f"{template_name}.docx").read_bytes()


def ensure_built_in_templates(uow: UnitOfWork) -> None:
    """Store the templates shipped with the code as the first version of each, once."""
    for name in TEMPLATE_NAMES:
        if uow.session.scalar(
            select(TemplateVersion.sha256).where(TemplateVersion.template_name == name).limit(1)
        ):
            continue
        content = _built_in(name)
        uow.session.add(
            TemplateVersion(
                sha256=rendering.template_sha256(content),
                template_name=name,
                effective_from=BUILT_IN_EFFECTIVE_FROM,
                content=content,
                size_bytes=len(content),
                uploaded_by="cnum (modèle livré)",
                created_at=utcnow(),
            )
        )
        try:
            uow.commit()
        except IntegrityError:  # another worker stored it first
            uow.rollback()


def upload_template_version(
    uow: UnitOfWork, template_name: str, content: bytes, effective_from: date, uploaded_by: str
) -> TemplateVersion:
    """A new version, after the linter found nothing wrong; its id is the SHA-256 of its bytes."""
    try:
        problems = rendering.lint_template(content, template_name)
    except rendering.TemplateNotDocx as error:
        raise TemplateRejected([str(error)]) from None
    if problems:
        raise TemplateRejected(problems)
    sha256 = rendering.template_sha256(content)
    if uow.session.get(TemplateVersion, sha256) is not None:
        raise TemplateVersionExists(sha256)
    template = TemplateVersion(
        sha256=sha256,
        template_name=template_name,
        effective_from=effective_from,
        content=content,
        size_bytes=len(content),
        uploaded_by=uploaded_by,
        created_at=utcnow(),
    )
    uow.session.add(template)
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise TemplateVersionExists(sha256) from None
    return template


def list_template_versions(uow: UnitOfWork, template_name: str) -> Sequence[TemplateVersion]:
    ensure_built_in_templates(uow)
    return uow.session.scalars(
        select(TemplateVersion)
        .where(TemplateVersion.template_name == template_name)
        .order_by(TemplateVersion.effective_from.desc(), TemplateVersion.created_at.desc())
    ).all()


def template_in_force(uow: UnitOfWork, template_name: str, legal_date: date) -> TemplateVersion:
    """The latest version whose `effective_from` is on or before the document's legal date."""
    ensure_built_in_templates(uow)
    found = uow.session.scalars(
        select(TemplateVersion)
        .where(TemplateVersion.template_name == template_name, TemplateVersion.effective_from <= legal_date)
        .order_by(TemplateVersion.effective_from.desc(), TemplateVersion.created_at.desc())
        .limit(1)
    ).first()
    if found is None:
        raise DocumentNotAvailable(f"aucune version du modèle {template_name} au {legal_date.isoformat()}")
    return found


# --- What each document says -------------------------------------------------------------------------


def _structure_data(structure: Structure) -> dict[str, Any]:
    return {
        "name": structure.name,
        "siret": structure.siret,
        "kind": structure.kind,
        "structure_type": structure.structure_type,
        "address": structure.address,
        "postcode": structure.postcode,
        "city": structure.city,
        "department": structure.department,
        "email": structure.email,
        "iban": structure.iban,
        "bic": structure.bic,
        "legal_representative": None,
    }


def _convention_data(convention: Convention) -> dict[str, Any]:
    # The zones are named as on the convention's start (ZRR before 1 July 2024, FRR from then).
    zones = legal.renewal_bonus_zones(convention.start_date)
    structure = convention.structure
    return {
        "reference": convention.reference,
        "wave": convention.wave,
        "posts": convention.posts,
        "start_date": convention.start_date,
        "end_date": convention.end_date,
        "duration_months": convention.duration_months,
        "funded_months": convention.funded_months,
        "amount_per_post": convention.amount_per_post,
        "total_amount": convention.total_amount,
        "signed_on": convention.signed_on,
        "bonus_zones": zones.short_name,
        "bonus_zones_label": zones.label,
        "renewal_bonus": legal.renewal_bonus_applies(
            Wave(convention.wave), StructureKind(structure.kind), structure.qpv_zrr
        ),
    }


def _tranches(convention: Convention) -> list[dict[str, Any]]:
    return [
        {"number": tranche.number, "due_on": tranche.due_on, "amount": tranche.amount}
        for tranche in convention.tranches
    ]


def convention_data(convention: Convention, generated_on: date) -> dict[str, Any]:
    return {
        "document": {"reference": convention.reference, "generated_on": generated_on},
        "structure": _structure_data(convention.structure),
        "convention": _convention_data(convention),
        "tranches": _tranches(convention),
        "funding_periods": funding_periods_wire(convention),
    }


def amendment_data(
    convention: Convention, amendment: ConventionAmendment, generated_on: date
) -> dict[str, Any]:
    """The avenant states the whole schedule it sets (computed when it was drafted, applied when signed)."""
    return {
        "document": {
            "reference": f"{convention.reference}-AV{amendment.number}",
            "generated_on": generated_on,
        },
        "structure": _structure_data(convention.structure),
        "convention": {**_convention_data(convention), "posts_before": amendment.posts_before},
        "amendment": {
            "number": amendment.number,
            "effective_date": amendment.effective_date,
            "posts": amendment.posts,
            "reason": amendment.reason,
            "total_before": amendment.total_before,
            "new_total_amount": amendment.total_amount,
            "signed_on": amendment.signed_on,
        },
        "tranches": amendment_schedule(amendment),
        "funding_periods": funding_periods_wire(convention),
    }


def contract_avenant_data(convention: Convention, contract: Contract, generated_on: date) -> dict[str, Any]:
    advisor = contract.advisor
    return {
        "document": {
            "reference": f"{convention.reference}-CT-{contract.id.hex[:6].upper()}",
            "generated_on": generated_on,
        },
        "structure": _structure_data(convention.structure),
        "employee": {
            "first_name": advisor.first_name,
            "last_name": advisor.last_name,
            "birth_date": advisor.birth_date,
        },
        "contract": {
            "contract_type": contract.contract_type,
            "start_date": contract.start_date,
            "weekly_hours": contract.weekly_hours,
            "gross_monthly_salary": contract.gross_monthly_salary,
            "signed_on": contract.signed_on,
        },
    }


# --- Rendering and storing ----------------------------------------------------------------------------


def _media(fmt: str) -> str:
    if fmt == "pdf":
        return "application/pdf"
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_document(
    uow: UnitOfWork,
    *,
    template_name: str,
    subject_id: uuid.UUID,
    convention_id: uuid.UUID,
    legal_date: date,
    data: dict[str, Any],
    fmt: str,
    var_dir: Path,
    converter: Converter,
    file_stem: str,
) -> StoredDocument:
    """The stored document for this data and template version, rendered and stored the first time."""
    template = template_in_force(uow, template_name, legal_date)
    # The generation date is not part of what the document says: leave it out of the data hash.
    data_sha256 = rendering.data_sha256({key: value for key, value in data.items() if key != "document"})
    key = (
        GeneratedDocument.subject_id == subject_id,
        GeneratedDocument.template_name == template_name,
        GeneratedDocument.format == fmt,
        GeneratedDocument.template_sha256 == template.sha256,
        GeneratedDocument.data_sha256 == data_sha256,
    )
    existing = uow.session.scalars(select(GeneratedDocument).where(*key)).first()
    if existing is not None and (var_dir / existing.path).is_file():
        content = (var_dir / existing.path).read_bytes()
        return StoredDocument(existing, content, _media(fmt), f"{file_stem}.{fmt}")
    template_content, template_sha256 = template.content, template.sha256
    # End the read transaction before rendering and converting: on SQLite a transaction holds the write
    # lock, and a conversion takes a tenth of a second or more (batches render several at once).
    uow.commit()
    try:
        docx = rendering.render_docx(template_content, template_context(template_name, data))
    except (rendering.TemplateRenderError, rendering.TemplateNotDocx) as error:
        raise TemplateUnusable(
            f"Le modèle « {template_name} » en vigueur (version {template_sha256[:12]}) ne peut pas produire "
            f"ce document : {error}"
        ) from error
    content = docx
    if fmt == "pdf":
        content = stamp_provenance(
            converter(docx),
            template_name=template_name,
            template_sha256=template_sha256,
            data_sha256=data_sha256,
            generator=GENERATOR,
        )
    sha256 = rendering.template_sha256(content)
    relative = f"documents/{template_name}/{sha256}.{fmt}"
    write_atomically(var_dir / relative, content)
    if existing is not None:  # the row survived but its file was lost: point it at the new file
        existing.path, existing.sha256, existing.size_bytes = relative, sha256, len(content)
        uow.commit()
        return StoredDocument(existing, content, _media(fmt), f"{file_stem}.{fmt}")
    record = GeneratedDocument(
        id=uuid.uuid4(),
        template_name=template_name,
        subject_id=subject_id,
        convention_id=convention_id,
        format=fmt,
        template_sha256=template_sha256,
        data_sha256=data_sha256,
        sha256=sha256,
        path=relative,
        size_bytes=len(content),
        created_at=utcnow(),
    )
    uow.session.add(record)
    try:
        uow.commit()
    except IntegrityError:
        # Another request rendered the same document meanwhile: serve the one stored first.
        uow.rollback()
        record = uow.session.scalars(select(GeneratedDocument).where(*key)).one()
        content = (var_dir / record.path).read_bytes()
    return StoredDocument(record, content, _media(fmt), f"{file_stem}.{fmt}")


def convention_document(
    uow: UnitOfWork, convention_id: uuid.UUID, fmt: str, var_dir: Path, converter: Converter, today: date
) -> StoredDocument:
    convention = get_convention(uow, convention_id)
    return render_document(
        uow,
        template_name="convention",
        subject_id=convention.id,
        convention_id=convention.id,
        legal_date=convention.signed_on or convention.start_date,
        data=convention_data(convention, today),
        fmt=fmt,
        var_dir=var_dir,
        converter=converter,
        file_stem=f"convention-{convention.reference}",
    )


def amendment_document(
    uow: UnitOfWork,
    convention_id: uuid.UUID,
    amendment_id: uuid.UUID,
    fmt: str,
    var_dir: Path,
    converter: Converter,
    today: date,
) -> StoredDocument:
    convention = get_convention(uow, convention_id)
    amendment = get_amendment(uow, convention_id, amendment_id)
    return render_document(
        uow,
        template_name="convention_avenant",
        subject_id=amendment.id,
        convention_id=convention.id,
        legal_date=amendment.signed_on or amendment.effective_date,
        data=amendment_data(convention, amendment, today),
        fmt=fmt,
        var_dir=var_dir,
        converter=converter,
        file_stem=f"avenant-{amendment.number}-{convention.reference}",
    )


def contract_avenant_document(
    uow: UnitOfWork, contract: Contract, fmt: str, var_dir: Path, converter: Converter, today: date
) -> StoredDocument:
    """Only a CDI employee moved to the advisor post has an employment-contract avenant."""
    if not (contract.existing_cdi_employee and contract.contract_type == "cdi"):
        raise DocumentNotAvailable("ce contrat n'est pas un avenant à un CDI existant")
    anonymised_on = contract.advisor.anonymised_on
    if anonymised_on is not None:
        # Never rendered again from the neutral values: the avenant is gone with the person's data.
        purged = uow.session.execute(
            select(GeneratedDocument.format, GeneratedDocument.sha256)
            .where(
                GeneratedDocument.subject_id == contract.id,
                GeneratedDocument.template_name == "contract_avenant",
                GeneratedDocument.format == fmt,
                GeneratedDocument.purged_on.is_not(None),
            )
            .order_by(GeneratedDocument.created_at, GeneratedDocument.id)
        ).all()
        raise DocumentPurged(
            purged_avenant_message(anonymised_on), anonymised_on, [(row[0], row[1]) for row in purged]
        )
    convention = get_convention(uow, contract.convention_id)
    return render_document(
        uow,
        template_name="contract_avenant",
        subject_id=contract.id,
        convention_id=convention.id,
        legal_date=contract.signed_on,
        data=contract_avenant_data(convention, contract, today),
        fmt=fmt,
        var_dir=var_dir,
        converter=converter,
        file_stem=f"avenant-contrat-{contract.advisor.last_name.lower()}-{convention.reference}",
    )


def record_download(
    uow: UnitOfWork, document: GeneratedDocument, *, who: str, role: str, client_address: str | None
) -> DocumentDownload:
    return _log_download(
        uow,
        DocumentDownload(
            document_id=document.id,
            convention_id=document.convention_id,
            template_name=document.template_name,
            subject_id=document.subject_id,
            format=document.format,
            sha256=document.sha256,
            template_sha256=document.template_sha256,
        ),
        who=who,
        role=role,
        client_address=client_address,
    )


def record_signed_copy_download(
    uow: UnitOfWork, copy: SignedCopy, *, who: str, role: str, client_address: str | None
) -> DocumentDownload:
    return _log_download(
        uow,
        DocumentDownload(
            signed_copy_id=copy.id,
            convention_id=copy.convention_id,
            template_name=SIGNED_COPY,
            subject_id=copy.convention_id,
            format="pdf",
            sha256=copy.sha256,
            template_sha256=None,  # a countersigned copy has no template
        ),
        who=who,
        role=role,
        client_address=client_address,
    )


def _log_download(
    uow: UnitOfWork, download: DocumentDownload, *, who: str, role: str, client_address: str | None
) -> DocumentDownload:
    """Who, in which role, from where and when, for a line of the download log; committed at once."""
    download.id = uuid.uuid4()
    download.downloaded_by, download.role, download.client_address = who, role, client_address
    download.downloaded_at = utcnow()
    uow.session.add(download)
    uow.commit()
    return download


def list_downloads(uow: UnitOfWork, convention_id: uuid.UUID) -> Sequence[DocumentDownload]:
    get_convention(uow, convention_id)
    return uow.session.scalars(
        select(DocumentDownload)
        .where(DocumentDownload.convention_id == convention_id)
        .order_by(DocumentDownload.downloaded_at.desc(), DocumentDownload.id)
    ).all()


def store_signed_copy(
    uow: UnitOfWork, convention_id: uuid.UUID, content: bytes, file_name: str, uploaded_by: str, var_dir: Path
) -> SignedCopy:
    """Keep the countersigned PDF after checking it is a plain, readable PDF (InvalidPdf otherwise)."""
    convention = get_convention(uow, convention_id)
    facts = check_uploaded_pdf(content)
    sha256 = rendering.template_sha256(content)
    # The stored name is ours; the name the user gave is kept as text only, never as a path.
    relative = f"signed-copies/{convention.id}/{sha256}.pdf"
    write_atomically(var_dir / relative, content)
    copy = SignedCopy(
        id=uuid.uuid4(),
        convention_id=convention.id,
        sha256=sha256,
        file_name=file_name,
        size_bytes=len(content),
        pages=facts.pages,
        path=relative,
        uploaded_by=uploaded_by,
        created_at=utcnow(),
    )
    uow.session.add(copy)
    uow.commit()
    return copy


def list_signed_copies(uow: UnitOfWork, convention_id: uuid.UUID) -> Sequence[SignedCopy]:
    """The countersigned copies of a convention, the newest first."""
    get_convention(uow, convention_id)
    return uow.session.scalars(
        select(SignedCopy)
        .where(SignedCopy.convention_id == convention_id)
        .order_by(SignedCopy.created_at.desc(), SignedCopy.id)
    ).all()


def read_signed_copy(
    uow: UnitOfWork, convention_id: uuid.UUID, copy_id: uuid.UUID, var_dir: Path
) -> tuple[SignedCopy, bytes]:
    """A countersigned copy and its bytes, checked against the SHA-256 taken at upload.

    Unlike a generated document, it cannot be made again: a missing or altered file is reported (logged
    as an error) rather than served.
    """
    copy = uow.session.get(SignedCopy, copy_id)
    if copy is None or copy.convention_id != convention_id:
        raise DocumentNotAvailable("copie signée introuvable")
    try:
        content = (var_dir / copy.path).read_bytes()
    except OSError:
        content = b""
    if rendering.template_sha256(content) != copy.sha256:
        logger.error("countersigned copy %s: file %s missing or altered", copy.id, copy.path)
        raise DocumentNotAvailable("le fichier conservé manque ou ne correspond plus à son empreinte")
    return copy, content
