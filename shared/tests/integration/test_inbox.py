"""Consuming an event out of Flask, on a real SQLite database: once, with its effects, or not at all."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, String, Table, Uuid, func, insert, select

from cnum_shared.core.wire import Envelope
from cnum_shared.framework.db import Database, new_metadata
from cnum_shared.framework.events.inbox import EventRejected, receive
from cnum_shared.framework.events.tables import define_event_tables

METADATA = new_metadata()
TABLES = define_event_tables(METADATA)
#: What the handler writes: the effect of the event, in the same transaction as its inbox row.
EFFECTS = Table(
    "effects",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("note", String(50), nullable=False),
)


@pytest.fixture
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    METADATA.create_all(database.engine)
    yield database
    database.dispose()


def _event(event_type="convention.signed"):
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=1,
        occurred_at=datetime(2025, 1, 6, 10, 0, tzinfo=UTC),
        producer="conventions",
        sequence=1,
        data={},
    )


class Handler:
    """Writes one effect row through the unit of work it is given; never commits."""

    def __init__(self, reject=False):
        self.calls = 0
        self.reject = reject

    def __call__(self, uow, event):
        self.calls += 1
        uow.session.execute(insert(EFFECTS).values(event_id=event.id, note="seen"))
        if self.reject:
            raise EventRejected("la convention est inconnue")


def _rows(database, table):
    with database.unit_of_work(read_only=True) as uow:
        return [dict(row) for row in uow.session.execute(select(table)).mappings()]


def test_an_event_with_a_handler_is_processed_and_recorded_with_its_effect(database):
    handler, event = Handler(), _event()
    assert receive(database.unit_of_work, TABLES, {"convention.signed": handler}, event) == "processed"
    assert handler.calls == 1
    assert [row["event_id"] for row in _rows(database, EFFECTS)] == [event.id]
    [inbox] = _rows(database, TABLES.inbox)
    assert (inbox["event_id"], inbox["type"], inbox["producer"], inbox["status"]) == (
        event.id,
        "convention.signed",
        "conventions",
        "processed",
    )


def test_an_event_without_handler_is_recorded_as_ignored(database):
    event = _event("structure.updated")
    assert receive(database.unit_of_work, TABLES, {"convention.signed": Handler()}, event) == "ignored"
    assert [row["status"] for row in _rows(database, TABLES.inbox)] == ["ignored"]
    assert _rows(database, EFFECTS) == []


def test_the_same_event_twice_is_a_duplicate_applied_once(database):
    handler, event = Handler(), _event()
    handlers = {"convention.signed": handler}
    assert receive(database.unit_of_work, TABLES, handlers, event) == "processed"
    assert receive(database.unit_of_work, TABLES, handlers, event) == "duplicate"
    assert handler.calls == 1
    assert len(_rows(database, EFFECTS)) == 1
    assert len(_rows(database, TABLES.inbox)) == 1


def test_a_rejected_event_leaves_nothing_recorded_and_may_come_again(database):
    event = _event()
    with pytest.raises(EventRejected, match="la convention est inconnue"):
        receive(database.unit_of_work, TABLES, {"convention.signed": Handler(reject=True)}, event)
    assert _rows(database, EFFECTS) == []  # the handler's write was rolled back with the rest
    assert _rows(database, TABLES.inbox) == []
    # Not recorded, so not a duplicate: once the cause is fixed, the producer's retry is processed.
    assert receive(database.unit_of_work, TABLES, {"convention.signed": Handler()}, event) == "processed"
    with database.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(EFFECTS)) == 1
