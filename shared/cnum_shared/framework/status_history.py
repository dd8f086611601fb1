"""Where the state machines' transitions are kept: one `status_changes` table per service database.

`StateMachine.apply` (cnum_shared.core.state_machine) hands each change to the unit of work's log; this
is the SQL log. Tranches and obligations keep their own history tables, older than this one and read by
their APIs; their services give their state machines a log that writes there.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Index, MetaData, String, Table, Text, Uuid, insert, select
from sqlalchemy.orm import Session

from cnum_shared.core.state_machine import Transition
from cnum_shared.framework.db import UtcDateTime


def define_status_changes_table(metadata: MetaData) -> Table:
    """The history of every status of a service but those that have a table of their own."""
    return Table(
        "status_changes",
        metadata,
        Column("id", Uuid, primary_key=True),
        #: The state machine's name: "payment_run", "document_batch", "alert", ...
        Column("machine", String(32), nullable=False),
        Column("entity_id", Uuid, nullable=False),
        Column("from_status", String(32), nullable=True),
        Column("to_status", String(32), nullable=False),
        Column("event", String(32), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("reason", Text, nullable=False),
        Column("at", UtcDateTime, nullable=False),
        Index("ix_status_changes_machine_entity_id", "machine", "entity_id", "at"),
    )


class SqlTransitionLog:
    """A TransitionLog writing to the service's `status_changes` table, in the unit of work's session."""

    def __init__(self, session: Session, table: Table) -> None:
        self._session = session
        self._table = table

    def record(self, transition: Transition) -> None:
        self._session.execute(
            insert(self._table).values(
                id=uuid.uuid4(),
                machine=transition.machine,
                entity_id=transition.entity_id,
                from_status=transition.from_status,
                to_status=transition.to_status,
                event=transition.event,
                actor=transition.actor,
                reason=transition.reason,
                at=transition.at,
            )
        )

    def of(self, machine: str, entity_id: uuid.UUID) -> list[Transition]:
        """The history of one thing, oldest first."""
        rows = self._session.execute(
            select(self._table)
            .where(self._table.c.machine == machine, self._table.c.entity_id == entity_id)
            .order_by(self._table.c.at)
        ).mappings()
        return [
            Transition(
                machine=row["machine"],
                entity_id=row["entity_id"],
                from_status=row["from_status"],
                to_status=row["to_status"],
                event=row["event"],
                actor=row["actor"],
                reason=row["reason"],
                at=row["at"],
            )
            for row in rows
        ]
