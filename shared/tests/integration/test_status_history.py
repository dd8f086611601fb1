"""The SQL log of the state machines: what `apply` and `start` hand it is written and read back, in order."""

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest

from cnum_shared.core.state_machine import StateMachine
from cnum_shared.framework.db import Database, new_metadata
from cnum_shared.framework.status_history import SqlTransitionLog, define_status_changes_table

METADATA = new_metadata()
STATUS_CHANGES = define_status_changes_table(METADATA)
AT = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


class RunStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class RunEvent(StrEnum):
    SUBMIT = "submit"


MACHINE = StateMachine(
    "payment_run", RunStatus, RunEvent, {(RunStatus.DRAFT, RunEvent.SUBMIT): RunStatus.SUBMITTED}
)


class Run:
    def __init__(self):
        self.id = uuid.uuid4()
        self.status = None


@pytest.fixture
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    METADATA.create_all(database.engine)
    yield database
    database.dispose()


def test_the_transitions_are_written_and_read_back_oldest_first(database):
    run, other = Run(), Run()
    with database.unit_of_work() as uow:
        log = SqlTransitionLog(uow.session, STATUS_CHANGES)
        created = MACHINE.start(run, RunStatus.DRAFT, actor="finance-1", reason="création", at=AT, log=log)
        MACHINE.start(other, RunStatus.DRAFT, actor="finance-2", reason="", at=AT, log=log)
        submitted = MACHINE.apply(
            run, RunEvent.SUBMIT, actor="finance-1", reason="prêt", at=AT + timedelta(hours=1), log=log
        )
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        history = SqlTransitionLog(uow.session, STATUS_CHANGES).of("payment_run", run.id)
    assert history == [created, submitted]
    assert [(t.from_status, t.to_status, t.event) for t in history] == [
        (None, "draft", "create"),
        ("draft", "submitted", "submit"),
    ]
    assert history[1].at == AT + timedelta(hours=1)
    assert history[1].at.tzinfo is not None


def test_a_rolled_back_unit_of_work_keeps_no_transition(database):
    run = Run()
    with database.unit_of_work() as uow:
        MACHINE.start(
            run,
            RunStatus.DRAFT,
            actor="a",
            reason="",
            at=AT,
            log=SqlTransitionLog(uow.session, STATUS_CHANGES),
        )
    with database.unit_of_work(read_only=True) as uow:
        assert SqlTransitionLog(uow.session, STATUS_CHANGES).of("payment_run", run.id) == []


def test_the_history_of_one_machine_ignores_another_machines_rows_for_the_same_id(database):
    run = Run()
    with database.unit_of_work() as uow:
        log = SqlTransitionLog(uow.session, STATUS_CHANGES)
        MACHINE.start(run, RunStatus.DRAFT, actor="a", reason="", at=AT, log=log)
        other = StateMachine("alert", RunStatus, RunEvent, {})
        other.start(run, RunStatus.DRAFT, actor="b", reason="", at=AT, log=log)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        log = SqlTransitionLog(uow.session, STATUS_CHANGES)
        assert [t.actor for t in log.of("payment_run", run.id)] == ["a"]
        assert [t.actor for t in log.of("alert", run.id)] == ["b"]
