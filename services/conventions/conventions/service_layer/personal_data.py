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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from cnum_shared.core import legal
from cnum_shared.framework.db import UnitOfWork, utcnow
from conventions.adapters.orm import (
    Advisor,
    Candidate,
    Contract,
    Convention,
    DocumentDownload,
    GeneratedDocument,
    PersonalDataPurge,
    SalaryChange,
    audit_table,
)
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
from conventions.service_layer.contracts import get_advisor

logger = logging.getLogger(__name__)

JOB_NAME = "purge_personal_data"
#: The documents about a person that the purge deletes (the conventions and their avenants name no one).
PERSONAL_TEMPLATE = "contract_avenant"
RETENTION_PARAMETER = "personal_data.retention_years_after_closing"
#: Ids per UPDATE statement: well under the bound parameters SQLite and PostgreSQL accept.
_CHUNK = 500
_ENDED = (ConventionStatus.CLOSED.value, ConventionStatus.TERMINATED.value)


@dataclass(frozen=True)
class PurgePersonalData:
    """Purge what is past retention on the legal date `as_of`."""

    as_of: date
    var_dir: Path
    actor: str = f"job:{JOB_NAME}"


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


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class _Retention:
    """The retention years in force on each file's end date (a dated parameter), looked up once each."""

    def __init__(self) -> None:
        self._years: dict[date, int] = {}

    def end(self, file_ended_on: date | None) -> date | None:
        if file_ended_on is None:
            return None
        if file_ended_on not in self._years:
            self._years[file_ended_on] = legal.personal_data_retention_years(file_ended_on)
        return retention_end(file_ended_on, self._years[file_ended_on])


def _file_end(status: str, convention_ended_on: date | None, contract_ended_on: date | None) -> date | None:
    """When a file ended: its convention's closing or termination, or its contract's later end."""
    if status not in _ENDED or convention_ended_on is None:
        return None
    if contract_ended_on is not None and contract_ended_on > convention_ended_on:
        return contract_ended_on
    return convention_ended_on


def _file_ends(uow: UnitOfWork, advisor_ids: Sequence[uuid.UUID] | None) -> dict[uuid.UUID, set[date | None]]:
    """For each person not anonymised yet (or each one given), the end of every file they are on."""
    presented = select(Candidate.advisor_id, Convention.status, Convention.ended_on).join(
        Convention, Convention.id == Candidate.convention_id
    )
    hired = select(Contract.advisor_id, Convention.status, Convention.ended_on, Contract.ended_on).join(
        Convention, Convention.id == Contract.convention_id
    )
    if advisor_ids is None:
        presented = presented.join(Advisor, Advisor.id == Candidate.advisor_id).where(
            Advisor.anonymised_on.is_(None)
        )
        hired = hired.join(Advisor, Advisor.id == Contract.advisor_id).where(Advisor.anonymised_on.is_(None))
    else:
        presented = presented.where(Candidate.advisor_id.in_(advisor_ids))
        hired = hired.where(Contract.advisor_id.in_(advisor_ids))
    ends: dict[uuid.UUID, set[date | None]] = defaultdict(set)
    for advisor_id, status, convention_ended_on in uow.session.execute(presented.distinct()):
        ends[advisor_id].add(_file_end(status, convention_ended_on, None))
    for advisor_id, status, convention_ended_on, contract_ended_on in uow.session.execute(hired.distinct()):
        ends[advisor_id].add(_file_end(status, convention_ended_on, contract_ended_on))
    return ends


def purge_personal_data(uow: UnitOfWork, command: PurgePersonalData) -> PurgeReport:
    """Anonymise the people past retention on `as_of` and delete their contract avenants; log the run."""
    session = uow.session
    retention = _Retention()
    due = sorted(
        advisor_id
        for advisor_id, ends in _file_ends(uow, None).items()
        if past_retention(kept_until(retention.end(end) for end in ends), command.as_of)
    )
    purge_id = uuid.uuid4()
    # The run's row first: what it touches points to it (checked at once on PostgreSQL).
    session.execute(
        insert(PersonalDataPurge).values(
            id=purge_id,
            actor=command.actor,
            as_of=command.as_of,
            ran_at=utcnow(),
            advisors_anonymised=len(due),
            documents_deleted=0,
        )
    )
    for chunk in _chunks(due):
        session.execute(
            update(Advisor)
            .where(Advisor.id.in_(chunk), Advisor.anonymised_on.is_(None))
            .values(
                first_name=ANONYMISED_FIRST_NAME,
                last_name=ANONYMISED_LAST_NAME,
                email=ANONYMISED_EMAIL,
                birth_date=ANONYMISED_BIRTH_DATE,
                is_retired=False,
                in_civic_service=False,
                is_france_services_agent=False,
                anonymised_on=command.as_of,
                purge_id=purge_id,
            ),
            execution_options={"synchronize_session": False},
        )
    # The avenants of everyone anonymised, now or before, that are not purged yet (an earlier run's are,
    # in the same transaction as their person, so this finds only this run's).
    documents = session.scalars(
        select(GeneratedDocument.id).where(
            GeneratedDocument.template_name == PERSONAL_TEMPLATE,
            GeneratedDocument.purged_on.is_(None),
            GeneratedDocument.subject_id.in_(
                select(Contract.id)
                .join(Advisor, Advisor.id == Contract.advisor_id)
                .where(Advisor.anonymised_on.is_not(None))
            ),
        )
    ).all()
    if due or documents:
        for chunk in _chunks(documents):
            session.execute(
                update(GeneratedDocument)
                .where(GeneratedDocument.id.in_(chunk), GeneratedDocument.purged_on.is_(None))
                .values(purged_on=command.as_of, purge_id=purge_id),
                execution_options={"synchronize_session": False},
            )
        session.execute(
            update(PersonalDataPurge)
            .where(PersonalDataPurge.id == purge_id)
            .values(documents_deleted=len(documents)),
            execution_options={"synchronize_session": False},
        )
        uow.commit()
    else:
        uow.rollback()  # nothing past retention: a run that changes nothing leaves no trace
    # The files go once the database says so: a crash in between leaves a file that the next run deletes,
    # never a document marked present whose file is gone.
    files = _delete_purged_files(uow, command.var_dir)
    report = PurgeReport(len(due), len(documents), files, purge_id if due or documents else None)
    logger.info("personal data purge as of %s: %s", command.as_of.isoformat(), report.summary())
    return report


def _delete_purged_files(uow: UnitOfWork, var_dir: Path) -> int:
    """Delete the files of purged documents still on disk, unless a document still in force shares one."""
    in_force = select(GeneratedDocument.path).where(GeneratedDocument.purged_on.is_(None))
    paths = uow.session.scalars(
        select(GeneratedDocument.path)
        .where(GeneratedDocument.purged_on.is_not(None), GeneratedDocument.path.not_in(in_force))
        .distinct()
    ).all()
    uow.rollback()  # end the read transaction before touching the disk
    deleted = 0
    for relative in paths:
        try:
            (var_dir / relative).unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted


# --- The export (RGPD art. 15) ------------------------------------------------------------------------


def personal_data_export(uow: UnitOfWork, advisor_id: uuid.UUID, as_of: date) -> dict[str, Any]:
    """Everything this service holds on one person: identity, presentations, contracts and raises, the
    documents generated about them (with their hashes and downloads), and where retention stands."""
    session = uow.session
    advisor = get_advisor(uow, advisor_id)
    conventions = {
        row.id: row
        for row in session.execute(
            select(Convention.id, Convention.reference, Convention.status, Convention.ended_on).where(
                Convention.id.in_(
                    select(Candidate.convention_id)
                    .where(Candidate.advisor_id == advisor_id)
                    .union(select(Contract.convention_id).where(Contract.advisor_id == advisor_id))
                )
            )
        )
    }

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
        for candidate in session.scalars(
            select(Candidate)
            .where(Candidate.advisor_id == advisor_id)
            .order_by(Candidate.presented_on, Candidate.id)
        )
    ]
    contracts = session.scalars(
        select(Contract).where(Contract.advisor_id == advisor_id).order_by(Contract.start_date, Contract.id)
    ).all()
    contract_ids = [contract.id for contract in contracts]
    raises: dict[uuid.UUID, list[SalaryChange]] = defaultdict(list)
    for change in session.scalars(
        select(SalaryChange)
        .where(SalaryChange.contract_id.in_(contract_ids))
        .order_by(SalaryChange.effective_on, SalaryChange.id)
    ):
        raises[change.contract_id].append(change)
    documents = session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.subject_id.in_(contract_ids))
        .order_by(GeneratedDocument.created_at, GeneratedDocument.id)
    ).all()
    downloads: dict[uuid.UUID, list[DocumentDownload]] = defaultdict(list)
    for download in session.scalars(
        select(DocumentDownload)
        .where(DocumentDownload.document_id.in_([document.id for document in documents]))
        .order_by(DocumentDownload.downloaded_at, DocumentDownload.id)
    ):
        assert download.document_id is not None
        downloads[download.document_id].append(download)
    ends = _file_ends(uow, [advisor_id]).get(advisor_id, set())
    retention = _Retention()
    last_day_kept = kept_until(retention.end(end) for end in ends)
    return {
        "advisor_id": advisor.id,
        "generated_on": as_of,
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


def log_personal_data_export(
    uow: UnitOfWork, *, who: str, role: str, path: str, client_address: str | None
) -> None:
    """The export is a disclosure of personal data: it goes to the audit log (who, when, from where)."""
    uow.session.execute(
        insert(audit_table).values(
            at=utcnow(),
            actor=who[:200],
            role=role,
            method="GET",
            path=path[:500],
            status=200,
            client_address=(client_address or "")[:64] or None,
        )
    )
    uow.commit()
