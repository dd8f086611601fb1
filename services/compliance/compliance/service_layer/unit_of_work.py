"""The unit of work the use cases see: its repositories, outbox, history and legal parameters.

A Protocol: the SQL one is `compliance.adapters.unit_of_work.SqlUnitOfWork` (the bootstrap builds it), the
unit tests' is `tests/unit/fakes.py`. The repositories are typed by the SQL ones, whose methods the fakes
repeat in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, Self

from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.state_machine import Transition
from compliance.adapters.repositories import (
    ActivityReportRepository,
    AlertRepository,
    ContractRepository,
    ConventionRepository,
    EvidenceRepository,
    ExemptionRepository,
    ObligationRepository,
    StandingRepository,
    StructureRepository,
    TrainingRepository,
)


class EventOutbox(Protocol):
    def emit(
        self, event_type: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> uuid.UUID: ...

    def emit_many(
        self, event_type: str, items: Sequence[Mapping[str, Any]], *, occurred_at: datetime | None = None
    ) -> list[uuid.UUID]: ...


class History(Protocol):
    """A TransitionLog that also takes many transitions at once (the scan's)."""

    def record(self, transition: Transition) -> None: ...

    def record_many(self, transitions: Sequence[Transition]) -> None: ...


class UnitOfWork(Protocol):
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
    outbox: EventOutbox
    history: History
    parameters: ParameterNode

    def __enter__(self) -> Self: ...

    def __exit__(self, *args: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
