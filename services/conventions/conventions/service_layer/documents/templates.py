"""Template versions: the built-in ones stored once, uploads linted, the version in force on a legal date."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import date

from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import TemplateVersion
from conventions.domain.documents import TEMPLATE_NAMES, Duplicate
from conventions.service_layer.documents.commands import UploadTemplateVersion
from conventions.service_layer.documents.errors import (
    DocumentNotAvailable,
    TemplateRejected,
    TemplateVersionExists,
    UnknownTemplate,
)
from conventions.service_layer.documents.ports import DocumentAdapters, DocumentsUnitOfWork

BUILT_IN_UPLOADER = "cnum (modèle livré)"


def sha256_of(content: bytes) -> str:
    """A file's identity: the SHA-256 of its bytes."""
    return hashlib.sha256(content).hexdigest()


#: SHA-256 of the shipped editions (the renderer hands the same bytes each time): hashed once, not at every
#: generation; bounded by a few times the number of editions.
_built_in_sha256 = functools.lru_cache(maxsize=256)(sha256_of)


def check_template_name(template_name: str) -> None:
    if template_name not in TEMPLATE_NAMES:
        raise UnknownTemplate(template_name)


def ensure_built_in_templates(uow: DocumentsUnitOfWork, adapters: DocumentAdapters) -> None:
    """Store each edition of the templates shipped with the code, once, from the day its period of the law
    begins (shared/parameters/documents.yaml): a version a legal officer uploaded later for the same
    period wins, being the newer (TemplateRepository.in_force)."""
    stored = uow.templates.stored_sha256s()
    for name in TEMPLATE_NAMES:
        for effective_from, content in adapters.renderer.built_in(name):
            sha256 = _built_in_sha256(content)
            if sha256 in stored:
                continue
            try:
                uow.templates.add(
                    TemplateVersion(
                        sha256=sha256,
                        template_name=name,
                        effective_from=effective_from,
                        content=content,
                        size_bytes=len(content),
                        uploaded_by=BUILT_IN_UPLOADER,
                        created_at=utcnow(),
                    )
                )
                uow.commit()
            except Duplicate:  # another worker stored it first
                uow.rollback()


def upload_template_version(
    uow: DocumentsUnitOfWork, command: UploadTemplateVersion, adapters: DocumentAdapters
) -> TemplateVersion:
    """A new version, after the linter found nothing wrong; its id is the SHA-256 of its bytes."""
    check_template_name(command.template_name)
    ensure_built_in_templates(uow, adapters)
    problems = adapters.renderer.lint(command.template_name, command.content)
    if problems:
        raise TemplateRejected(problems)
    sha256 = sha256_of(command.content)
    if uow.templates.get(sha256) is not None:
        raise TemplateVersionExists()
    template = TemplateVersion(
        sha256=sha256,
        template_name=command.template_name,
        effective_from=command.effective_from,
        content=command.content,
        size_bytes=len(command.content),
        uploaded_by=command.uploaded_by,
        created_at=utcnow(),
    )
    try:
        uow.templates.add(template)
        uow.commit()
    except Duplicate:
        uow.rollback()
        raise TemplateVersionExists() from None
    return template


def list_template_versions(
    uow: DocumentsUnitOfWork, template_name: str, adapters: DocumentAdapters
) -> Sequence[TemplateVersion]:
    """Every version of a template, the newest first."""
    check_template_name(template_name)
    ensure_built_in_templates(uow, adapters)
    return uow.templates.versions(template_name)


def template_in_force(
    uow: DocumentsUnitOfWork, template_name: str, legal_date: date, adapters: DocumentAdapters
) -> TemplateVersion:
    """The latest version whose `effective_from` is on or before the document's legal date."""
    ensure_built_in_templates(uow, adapters)
    found = uow.templates.in_force(template_name, legal_date)
    if found is None:
        raise DocumentNotAvailable(f"aucune version du modèle {template_name} au {legal_date.isoformat()}")
    return found


def templates_in_force(
    uow: DocumentsUnitOfWork, today: date, adapters: DocumentAdapters
) -> list[dict[str, object]]:
    """The three templates and the version of each in force on `today`."""
    return [
        {"name": name, "version_in_force": template_in_force(uow, name, today, adapters)}
        for name in TEMPLATE_NAMES
    ]
