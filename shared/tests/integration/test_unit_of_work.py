"""Units of work on SQLite: writers take the write lock at BEGIN, readers do not wait for it."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import Column, Integer, Table, insert, select
from sqlalchemy.orm import registry

from cnum_shared.core.errors import ConcurrentWrite
from cnum_shared.framework.db import Database, new_metadata

METADATA = new_metadata()
COUNTERS = Table("counters", METADATA, Column("id", Integer, primary_key=True), Column("value", Integer))


class Counter:
    def __init__(self, id: int, value: int) -> None:
        self.id = id
        self.value = value


registry().map_imperatively(Counter, COUNTERS)


@pytest.fixture
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'uow.sqlite3'}")
    METADATA.create_all(database.engine)
    with database.unit_of_work() as uow:
        uow.session.execute(insert(COUNTERS).values(id=1, value=7))
        uow.commit()
    yield database
    database.dispose()


@pytest.fixture
def other_writer(tmp_path):
    """Another process's writer holding the write lock, as a gunicorn worker in the middle of a payment."""
    connection = sqlite3.connect(tmp_path / "uow.sqlite3", isolation_level=None, timeout=0.1)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE counters SET value = 8 WHERE id = 1")
    yield connection
    connection.execute("ROLLBACK")
    connection.close()


def test_a_read_only_unit_of_work_reads_while_another_writer_holds_the_lock(database, other_writer):
    started = time.monotonic()
    with database.unit_of_work(read_only=True) as uow:
        value = uow.session.scalar(select(COUNTERS.c.value))
    assert value == 7  # the last committed value: the other writer has not committed
    assert time.monotonic() - started < 1


def test_a_writing_unit_of_work_waits_for_the_write_lock_then_sees_the_other_write(database, other_writer):
    seen: list[int] = []

    def write() -> None:
        with database.unit_of_work() as uow:
            seen.append(uow.session.scalar(select(COUNTERS.c.value)))
            uow.commit()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.5)
    assert seen == []  # still waiting at BEGIN IMMEDIATE
    other_writer.execute("COMMIT")
    other_writer.execute("BEGIN")  # so that the fixture's ROLLBACK has a transaction to end
    writer.join(timeout=10)
    assert seen == [8]  # it read after the other writer's commit, never a stale value


def test_a_unique_key_taken_at_the_same_moment_is_a_concurrent_write_and_leaves_nothing(database):
    # Two registrations of one key: the second commit meets the unique constraint the first one took.
    with database.unit_of_work() as uow:
        uow.session.execute(insert(COUNTERS).values(id=2, value=1))
        uow.commit()
    with database.unit_of_work() as uow:
        uow.session.execute(insert(COUNTERS).values(id=3, value=3))
        uow.session.add(Counter(id=2, value=2))  # written at commit, as the models of the use cases are
        with pytest.raises(ConcurrentWrite) as raised:
            uow.commit()
    assert raised.value.status == 409
    assert raised.value.message == "Une autre modification est passée au même moment ; réessayez."
    with database.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(select(COUNTERS.c.id, COUNTERS.c.value).order_by(COUNTERS.c.id)).all()
    assert [tuple(row) for row in rows] == [(1, 7), (2, 1)]  # id 3 rolled back with the clash
