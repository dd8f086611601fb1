"""The SQL unit of work on a real database of each backend: what the use cases write lands in its tables,
the status history in `status_changes`, and nothing of a refused use case stays."""

from datetime import date

import pytest
from sqlalchemy import select

from cnum_shared.core.errors import Conflict
from cnum_shared.core.legal import Wave
from cnum_shared.framework.status_history import SqlTransitionLog
from conventions.adapters.orm import Convention, event_tables, status_changes
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.conventions import ConventionAction, ConventionStatus
from conventions.service_layer import commands
from conventions.service_layer.conventions import create_convention, end_convention, sign_convention
from conventions.service_layer.structures import create_structure


def test_a_convention_signed_and_closed_keeps_its_history(app):
    context = app.extensions["cnum"]
    with context.unit_of_work() as uow:
        structure = create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[0], on=date(2021, 2, 1)))
    with context.unit_of_work() as uow:
        convention = create_convention(
            uow, commands.CreateConvention(structure.id, Wave.INITIAL, 1, date(2021, 3, 1), 24)
        )
    with context.unit_of_work() as uow:
        sign_convention(uow, commands.SignConvention(convention.id, date(2021, 3, 10), actor="legal-1"))
    with context.unit_of_work() as uow:
        end_convention(
            uow,
            commands.EndConvention(
                convention.id, ConventionAction.CLOSE, date(2023, 2, 28), "Terme", actor="legal-2"
            ),
        )
    with context.unit_of_work() as uow, pytest.raises(Conflict):
        sign_convention(uow, commands.SignConvention(convention.id, date(2023, 3, 1)))

    with context.database.session() as session:
        stored = session.scalars(select(Convention.status).where(Convention.id == convention.id)).one()
        history = SqlTransitionLog(session, status_changes).of("convention", convention.id)
        events = list(
            session.scalars(select(event_tables.outbox.c.type).order_by(event_tables.outbox.c.created_at))
        )
    assert stored is ConventionStatus.CLOSED
    assert [(t.from_status, t.to_status, t.actor) for t in history] == [
        (None, "draft", "system"),
        ("draft", "signed", "legal-1"),
        ("signed", "closed", "legal-2"),
    ]
    assert events == ["structure.updated", "convention.signed", "convention.closed"]
