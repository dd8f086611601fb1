"""The compliance unit of work on SQL: one transaction, its repositories, its outbox and its history."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from cnum_shared.core.parameters import ParameterNode
from cnum_shared.framework.db import UnitOfWork
from cnum_shared.framework.events.outbox import Outbox
from compliance.adapters.orm import event_tables
from compliance.adapters.repositories import (
    ActivityReportRepository,
    AlertRepository,
    ContractRepository,
    ConventionRepository,
    EvidenceRepository,
    ExemptionRepository,
    HistoryLog,
    ObligationRepository,
    StandingRepository,
    StructureRepository,
    TrainingRepository,
)

PRODUCER = "compliance"


class SqlUnitOfWork(UnitOfWork):
    """`with uow:` opens a session and the repositories on it; the use case calls `uow.commit()`."""

    structures: StructureRepository
    conventions: ConventionRepository
    contracts: ContractRepository
    obligations: ObligationRepository
    evidence: EvidenceRepository
    training: TrainingRepository
    exemptions: ExemptionRepository
    activity_reports: ActivityReportRepository
    standings: StandingRepository
    alerts: AlertRepository
    outbox: Outbox
    history: HistoryLog

    def __init__(self, session_factory: Callable[[], Session], parameters: ParameterNode) -> None:
        super().__init__(session_factory)
        #: The legal parameters, loaded once by the bootstrap: every rule reads them here.
        self.parameters = parameters

    def _open(self, session: Session) -> None:
        self.structures = StructureRepository(session)
        self.conventions = ConventionRepository(session)
        self.contracts = ContractRepository(session)
        self.obligations = ObligationRepository(session)
        self.evidence = EvidenceRepository(session)
        self.training = TrainingRepository(session)
        self.exemptions = ExemptionRepository(session)
        self.activity_reports = ActivityReportRepository(session)
        self.standings = StandingRepository(session)
        self.alerts = AlertRepository(session)
        self.outbox = Outbox(session, event_tables, PRODUCER)
        self.history = HistoryLog(session)
