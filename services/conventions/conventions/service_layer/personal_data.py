"""Advisors' personal data: the purge after the retention period, and the export on request (RGPD art. 15).

The purge (`purge_personal_data`, run daily by the scheduler) anonymises each person whose every file is
past retention (see `conventions.domain.personal_data` for when a file ends) and deletes the stored
employment-contract avenants of their contracts: the file goes, the row stays with its SHA-256 and the
day it was purged, so that a download answers 410 and the audit of documents still knows what existed.
It works in bulk (SQLAlchemy Core statements over id lists) and touches only what is not purged yet: a
second run for the same day changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.parameters import ParameterNode
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import DocumentDownload, SalaryChange
from conventions.domain.conventions import ConventionStatus
from conventions.domain.personal_data import (
    ANONYMISED_BIRTH_DATE,
    ANONYMISED_EMAIL,
    ANONYMISED_FIRST_NAME,
    ANONYMISED_LAST_NAME,
    anonymised_message,
    kept_until,
    past_retention,
    retention_end,
    retention_message,
)
from conventions.service_layer.commands import ExportPersonalData, PurgePersonalData
from conventions.service_layer.contracts import get_advisor
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork, FileRow

logger = logging.getLogger(__name__)

JOB_NAME = "purge_personal_data"
#: The documents about a person that the purge deletes (the conventions and their avenants name no one).
PERSONAL_TEMPLATE = "contract_avenant"
RETENTION_PARAMETER = "personal_data.retention_years_after_closing"
_ENDED = (ConventionStatus.CLOSED.value, ConventionStatus.TERMINATED.value)
#: What replaces a person's identity (their ids, contracts and amounts stay).
_ANONYMISED = {
    "first_name": ANONYMISED_FIRST_NAME,
    "last_name": ANONYMISED_LAST_NAME,
    "email": ANONYMISED_EMAIL,
    "birth_date": ANONYMISED_BIRTH_DATE,
    "is_retired": False,
    "in_civic_service": False,
    "is_france_services_agent": False,
}

#: What goes from their contracts: the facts of an avenant that, beside the structure, point at the
#: person (where and since when they worked) or name someone else (their line manager). The post's terms
#: (classification, collective agreement, public status) stay with the contract's amounts (decision 0026).
_ANONYMISED_CONTRACT = {"original_contract_start_date": None, "place_of_work": None, "line_manager": None}


@dataclass(frozen=True)
class PurgeReport:
    advisors_anonymised: int
    documents_deleted: int
    files_deleted: int
    purge_id: uuid.UUID | None

    def summary(self) -> str:
        return (
            f"advisors anonymised {self.advisors_anonymised}, documents purged {self.documents_deleted}, "
            f"files deleted {self.files_deleted}"
        )


class _Retention:
    """The retention years in force on each file's end date (a dated parameter), looked up once each."""

    def __init__(self, tree: ParameterNode) -> None:
        self._tree = tree
        self._years: dict[date, int] = {}

    def end(self, file_ended_on: date | None) -> date | None:
        if file_ended_on is None:
            return None
        if file_ended_on not in self._years:
            self._years[file_ended_on] = legal.personal_data_retention_years(file_ended_on, tree=self._tree)
        return retention_end(file_ended_on, self._years[file_ended_on])


def _file_end(status: str, convention_ended_on: date | None, contract_ended_on: date | None) -> date | None:
    """When a file ended: its convention's closing or termination, or its contract's later end."""
    if status not in _ENDED or convention_ended_on is None:
        return None
    if contract_ended_on is not None and contract_ended_on > convention_ended_on:
        return contract_ended_on
    return convention_ended_on


def _file_ends(rows: Iterable[FileRow]) -> dict[uuid.UUID, set[date | None]]:
    """For each person, the end of every file they are on."""
    ends: dict[uuid.UUID, set[date | None]] = defaultdict(set)
    for advisor_id, status, convention_ended_on, contract_ended_on in rows:
        ends[advisor_id].add(_file_end(status, convention_ended_on, contract_ended_on))
    return ends


def purge_personal_data(uow: ConventionsUnitOfWork, command: PurgePersonalData) -> PurgeReport:
    """Anonymise the people past retention on `as_of` and delete their contract avenants; log the run."""
    retention = _Retention(uow.parameters)
    due = sorted(
        advisor_id
        for advisor_id, ends in _file_ends(uow.personal_data.files(None)).items()
        if past_retention(kept_until(retention.end(end) for end in ends), command.as_of)
    )
    purge_id = uuid.uuid4()
    uow.personal_data.start_purge(
        purge_id, actor=command.actor, as_of=command.as_of, ran_at=utcnow(), advisors=len(due)
    )
    uow.personal_data.anonymise(due, {**_ANONYMISED, "anonymised_on": command.as_of}, purge_id)
    uow.personal_data.anonymise_contracts(due, _ANONYMISED_CONTRACT)
    # The avenants of everyone anonymised, now or before, that are not purged yet (an earlier run's are,
    # in the same transaction as their person, so this finds only this run's).
    documents = uow.personal_data.documents_of_anonymised(PERSONAL_TEMPLATE)
    if due or documents:
        uow.personal_data.purge_documents(documents, command.as_of, purge_id)
        uow.personal_data.count_documents(purge_id, len(documents))
        uow.commit()
    else:
        uow.rollback()  # nothing past retention: a run that changes nothing leaves no trace
    # The files go once the database says so: a crash in between leaves a file that the next run deletes,
    # never a document marked present whose file is gone.
    paths = uow.personal_data.purged_paths()
    uow.rollback()  # end the read transaction before touching the disk
    files = sum(1 for relative in paths if uow.files.delete(relative))
    report = PurgeReport(len(due), len(documents), files, purge_id if due or documents else None)
    logger.info("personal data purge as of %s: %s", command.as_of.isoformat(), report.summary())
    return report


# --- The export (RGPD art. 15) ------------------------------------------------------------------------


def export_personal_data(uow: ConventionsUnitOfWork, command: ExportPersonalData) -> dict[str, Any]:
    """Everything this service holds on one person: identity, presentations, contracts and raises, the
    documents generated about them (with their hashes and downloads), and where retention stands.

    The export is a disclosure of personal data: it goes to the audit log (who, when, from where)."""
    advisor_id = command.advisor_id
    advisor = get_advisor(uow, advisor_id, viewer_structure_id=command.viewer_structure_id)
    repository = uow.personal_data
    conventions = repository.conventions_of(advisor_id)

    def convention_of(convention_id: uuid.UUID) -> dict[str, Any]:
        convention = conventions[convention_id]
        return {
            "convention_id": convention.id,
            "convention_reference": convention.reference,
            "convention_status": convention.status,
            "convention_ended_on": convention.ended_on,
        }

    presentations = [
        {
            "id": candidate.id,
            **convention_of(candidate.convention_id),
            "structure_id": candidate.structure_id,
            "presented_on": candidate.presented_on,
            "selected_on": candidate.selected_on,
            "created_at": candidate.created_at,
        }
        for candidate in repository.candidates_of(advisor_id)
    ]
    contracts = repository.contracts_of(advisor_id)
    contract_ids = [contract.id for contract in contracts]
    raises: dict[uuid.UUID, list[SalaryChange]] = defaultdict(list)
    for change in repository.salary_changes_of(contract_ids):
        raises[change.contract_id].append(change)
    documents = repository.documents_about(contract_ids)
    downloads: dict[uuid.UUID, list[DocumentDownload]] = defaultdict(list)
    for download in repository.downloads_of([document.id for document in documents]):
        assert download.document_id is not None
        downloads[download.document_id].append(download)
    ends = _file_ends(repository.files([advisor_id])).get(advisor_id, set())
    retention = _Retention(uow.parameters)
    last_day_kept = kept_until(retention.end(end) for end in ends)
    export = {
        "advisor_id": advisor.id,
        "generated_on": command.as_of,
        "identity": {
            "first_name": advisor.first_name,
            "last_name": advisor.last_name,
            "birth_date": advisor.birth_date,
            "email": advisor.email,
            "is_retired": advisor.is_retired,
            "in_civic_service": advisor.in_civic_service,
            "is_france_services_agent": advisor.is_france_services_agent,
            "registered_by_structure_id": advisor.structure_id,
            "created_at": advisor.created_at,
        },
        "presentations": presentations,
        "contracts": [
            {
                "id": contract.id,
                **convention_of(contract.convention_id),
                "structure_id": contract.structure_id,
                "contract_type": contract.contract_type,
                "start_date": contract.start_date,
                "end_date": contract.end_date,
                "weekly_hours": contract.weekly_hours,
                "gross_monthly_salary": contract.gross_monthly_salary,
                "existing_cdi_employee": contract.existing_cdi_employee,
                "already_digital_mediator": contract.already_digital_mediator,
                "mediator_case": contract.mediator_case,
                "original_contract_start_date": contract.original_contract_start_date,
                "place_of_work": contract.place_of_work,
                "line_manager": contract.line_manager,
                "classification": contract.classification,
                "collective_agreement": contract.collective_agreement,
                "public_status": contract.public_status,
                "signed_on": contract.signed_on,
                "ended_on": contract.ended_on,
                "end_reason": contract.end_reason,
                "salary_changes": raises[contract.id],
            }
            for contract in contracts
        ],
        "documents": [
            {
                "id": document.id,
                "template_name": document.template_name,
                "contract_id": document.subject_id,
                "format": document.format,
                "sha256": document.sha256,
                "template_sha256": document.template_sha256,
                "size_bytes": document.size_bytes,
                "created_at": document.created_at,
                "purged_on": document.purged_on,
                "downloads": downloads[document.id],
            }
            for document in documents
        ],
        "retention": {
            "parameter": RETENTION_PARAMETER,
            "anonymised": advisor.anonymised_on is not None,
            "anonymised_on": advisor.anonymised_on,
            "kept_until": last_day_kept if advisor.anonymised_on is None else None,
            "message": (
                anonymised_message(advisor.anonymised_on)
                if advisor.anonymised_on is not None
                else retention_message(last_day_kept, on_a_file=bool(ends))
            ),
        },
    }

    repository.log_disclosure(
        at=utcnow(),
        who=command.who,
        role=command.role,
        path=command.path,
        client_address=command.client_address,
    )
    uow.commit()
    return export
