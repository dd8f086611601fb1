"""The SQL unit of work of the conventions service: one session, its repositories, outbox and history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from cnum_shared.core.parameters import ParameterNode
from cnum_shared.framework.db import Database, UnitOfWork
from cnum_shared.framework.events.outbox import Outbox
from cnum_shared.framework.status_history import SqlTransitionLog
from conventions.adapters.document_repositories import (
    SqlDocumentBatchRepository,
    SqlDocumentSubjects,
    SqlDownloadLog,
    SqlGeneratedDocumentRepository,
    SqlSignedCopyRepository,
    SqlTemplateRepository,
)
from conventions.adapters.files import LocalFiles
from conventions.adapters.orm import event_tables, status_changes
from conventions.adapters.repositories import (
    SqlAdvisorRepository,
    SqlAmendmentRepository,
    SqlBankDetailsRepository,
    SqlCandidateRepository,
    SqlClosingRunRepository,
    SqlContractRepository,
    SqlConventionRepository,
    SqlFinalStatementRepository,
    SqlOfficerRepository,
    SqlPersonalDataRepository,
    SqlRecoveryOrderRepository,
    SqlSettlementRepository,
    SqlStatisticsRepository,
    SqlStructureRepository,
)

PRODUCER = "conventions"


class SqlUnitOfWork(UnitOfWork):
    """`service_layer.unit_of_work.ConventionsUnitOfWork` on the service's database."""

    def __init__(
        self, session_factory: Callable[[], Session], *, parameters: ParameterNode, files: LocalFiles
    ) -> None:
        super().__init__(session_factory)
        self.parameters = parameters
        self.files = files

    def _open(self, session: Session) -> None:
        # One line per repository.
        self.structures = SqlStructureRepository(session)
        self.conventions = SqlConventionRepository(session)
        self.amendments = SqlAmendmentRepository(session)
        self.settlements = SqlSettlementRepository(session)
        self.final_statements = SqlFinalStatementRepository(session)
        self.recovery_orders = SqlRecoveryOrderRepository(session)
        self.advisors = SqlAdvisorRepository(session)
        self.candidates = SqlCandidateRepository(session)
        self.contracts = SqlContractRepository(session)
        self.bank_details = SqlBankDetailsRepository(session)
        self.personal_data = SqlPersonalDataRepository(session)
        self.templates = SqlTemplateRepository(session)
        self.generated_documents = SqlGeneratedDocumentRepository(session)
        self.downloads = SqlDownloadLog(session)
        self.signed_copies = SqlSignedCopyRepository(session)
        self.document_subjects = SqlDocumentSubjects(session)
        self.document_batches = SqlDocumentBatchRepository(session)
        self.closing_runs = SqlClosingRunRepository(session)
        self.officers = SqlOfficerRepository(session)
        self.statistics = SqlStatisticsRepository(session)
        self.outbox = Outbox(session, event_tables, PRODUCER)
        self.history = SqlTransitionLog(session, status_changes)


class ConventionsDatabase(Database):
    """The service's database, whose units of work are the service's own (with its repositories)."""

    def __init__(
        self, url: str, *, parameters: ParameterNode, files: LocalFiles, **engine_kwargs: Any
    ) -> None:
        super().__init__(url, **engine_kwargs)
        self.parameters = parameters
        self.files = files

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.read_session_factory if read_only else self.session_factory,
            parameters=self.parameters,
            files=self.files,
        )
