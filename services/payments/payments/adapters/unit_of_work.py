"""The payments unit of work on SQL: one transaction, its repositories, outbox and history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import UnitOfWork, insert_rows
from cnum_shared.framework.events.outbox import Outbox
from cnum_shared.framework.status_history import SqlTransitionLog
from payments.adapters import repositories
from payments.adapters.orm import TrancheHistory, event_tables, status_changes_table
from payments.domain.tranches import TRANCHES
from payments.domain.transfers import Account, TransferFiles

PRODUCER = "payments"


class PaymentsHistory:
    """The transitions of a unit of work: a tranche's in `tranche_history` (its own table, read by
    GET /tranches/{id}/history), every other machine's in `status_changes`."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._changes = SqlTransitionLog(session, status_changes_table)

    def record(self, transition: Transition) -> None:
        if transition.machine == TRANCHES.name:
            self._session.add(_tranche_history(transition))
        else:
            self._changes.record(transition)

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Many tranche transitions at once (scheduling the whole programme: one bulk insert)."""
        others = [transition for transition in transitions if transition.machine != TRANCHES.name]
        if others:
            self._session.execute(
                insert(status_changes_table),
                [
                    {
                        "id": uuid.uuid4(),
                        "machine": transition.machine,
                        "entity_id": transition.entity_id,
                        "from_status": transition.from_status,
                        "to_status": transition.to_status,
                        "event": transition.event,
                        "actor": transition.actor,
                        "reason": transition.reason,
                        "at": transition.at,
                    }
                    for transition in others
                ],
            )
        insert_rows(
            self._session,
            TrancheHistory,
            [_row(transition) for transition in transitions if transition.machine == TRANCHES.name],
        )


def _row(transition: Transition) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tranche_id": transition.entity_id,
        "from_status": transition.from_status,
        "to_status": transition.to_status,
        "actor": transition.actor,
        "reason": transition.reason,
        "at": transition.at,
    }


def _tranche_history(transition: Transition) -> TrancheHistory:
    return TrancheHistory(**_row(transition))


class SqlUnitOfWork(UnitOfWork):
    """The payments service's business transaction (service_layer/unit_of_work.py says what it holds)."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        parameters: ParameterNode,
        transfers: TransferFiles,
        agency_account: Account,
    ) -> None:
        super().__init__(session_factory)
        self.parameters = parameters
        self.transfers = transfers
        self.agency_account = agency_account

    def _open(self, session: Session) -> None:
        self.structures = repositories.StructureRepository(session)
        self.conventions = repositories.ConventionRepository(session)
        self.tranches = repositories.TrancheRepository(session)
        self.contracts = repositories.ContractRepository(session)
        self.smic_checks = repositories.SmicCheckRepository(session)
        self.standings = repositories.StandingRepository(session)
        self.holds = repositories.HoldRepository(session)
        self.payments = repositories.PaymentRepository(session)
        self.payment_runs = repositories.PaymentRunRepository(session)
        self.recoveries = repositories.RecoveryRepository(session)
        self.bank_files = repositories.BankFileRepository(session)
        self.idempotency_keys = repositories.IdempotencyKeyRepository(session)
        self.statistics = repositories.StatisticsRepository(session)
        self.outbox = Outbox(session, event_tables, PRODUCER)
        self.history = PaymentsHistory(session)
