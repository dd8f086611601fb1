"""The bulk helpers of the scheduling and the scan. `insert_rows`: COPY on PostgreSQL, a ready-made
executemany on SQLite; on both, the values read back are the values given, inside the caller's transaction.
`among`: an IN list, or one array parameter on PostgreSQL, selecting the same rows. `nogc`."""

import gc
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Date, ForeignKey, Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnum_shared.framework.db import MONEY, Database, UtcDateTime, among, insert_rows, new_metadata, nogc


class Base(DeclarativeBase):
    metadata = new_metadata()


class Parent(Base):
    __tablename__ = "parents"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    parent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parents.id"))
    number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    due_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(String(100))


class WithDefault(Base):
    __tablename__ = "with_default"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def database(db_backend, test_databases):
    database = Database(test_databases.empty(db_backend))
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def rows(parent, count):
    paris = timezone(timedelta(hours=1))
    return [
        {
            "id": uuid.uuid4(),
            "parent_id": parent,
            "number": number,
            "amount": Decimal("35000.00") + number,
            "due_on": date(2025, 9, 1) + timedelta(days=number),
            "at": datetime(2026, 1, 5, 10, 0, tzinfo=paris),
            "note": None if number % 2 else "l'été",
        }
        for number in range(count)
    ]


def test_rows_read_back_as_given(database):
    parent = uuid.uuid4()
    given = rows(parent, 500)
    with database.unit_of_work() as uow:
        insert_rows(uow.session, Parent, [{"id": parent}])
        insert_rows(uow.session, Row, given)
        uow.commit()
    with database.session() as session:
        stored = {row.id: row for row in session.scalars(select(Row))}
    assert len(stored) == 500
    for expected in given:
        row = stored[expected["id"]]
        assert (row.parent_id, row.number, row.amount, row.due_on, row.note) == (
            parent,
            expected["number"],
            expected["amount"],
            expected["due_on"],
            expected["note"],
        )
        assert row.at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # stored in UTC


def test_rows_are_part_of_the_transaction(database):
    parent = uuid.uuid4()
    with database.unit_of_work() as uow:
        insert_rows(uow.session, Parent, [{"id": parent}])
        insert_rows(uow.session, Row, rows(parent, 10))
        uow.rollback()
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Row)) == 0


def test_a_row_breaking_a_constraint_fails_the_whole_insert(database):
    orphans = rows(uuid.uuid4(), 3)  # no such parent
    with database.unit_of_work() as uow, pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        insert_rows(uow.session, Row, orphans)


def test_python_side_defaults_are_still_applied(database):
    with database.unit_of_work() as uow:
        insert_rows(uow.session, WithDefault, [{"name": "un"}, {"name": "deux"}])
        uow.commit()
    with database.session() as session:
        assert all(session.scalars(select(WithDefault.id)))
        assert session.scalar(select(func.count()).select_from(WithDefault)) == 2


def test_a_naive_timestamp_is_refused_on_both_databases(database):
    parent = uuid.uuid4()
    naive = [{**rows(parent, 1)[0], "at": datetime(2026, 1, 5, 10, 0)}]
    with database.unit_of_work() as uow:
        insert_rows(uow.session, Parent, [{"id": parent}])
        with pytest.raises(ValueError, match="naive"):
            insert_rows(uow.session, Row, naive)


@pytest.mark.parametrize("count", [0, 1, 5000])
def test_among_selects_exactly_the_given_rows(database, count):
    parent = uuid.uuid4()
    given = rows(parent, 6000)
    with database.unit_of_work() as uow:
        insert_rows(uow.session, Parent, [{"id": parent}])
        insert_rows(uow.session, Row, given)
        uow.commit()
    wanted = [row["id"] for row in given[:count]]
    notes = {row["note"] for row in given[:count]}
    with database.session() as session:
        assert set(session.scalars(select(Row.id).where(among(session, Row.id, wanted)))) == set(wanted)
        # Strings too, and any iterable (here a set).
        found = session.scalars(select(Row.note).where(among(session, Row.note, {"l'été"}))).all()
        assert len(found) == 3000
        assert set(session.scalars(select(Row.note).where(among(session, Row.note, notes)))) == notes - {None}


def test_nogc_pauses_the_cycle_collector_for_the_call_only():
    seen = []

    @nogc
    def bulk(fail):
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("refused")
        return "done"

    assert gc.isenabled()
    assert bulk(False) == "done"
    assert seen == [False] and gc.isenabled()
    with pytest.raises(RuntimeError):
        bulk(True)
    assert gc.isenabled()  # restarted after a failure too
    gc.disable()
    try:
        bulk(False)
        assert not gc.isenabled()  # an inner call leaves the collector as it found it
    finally:
        gc.enable()
