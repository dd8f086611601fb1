"""The SQL form of DESIGN §3's active-contract rule answers as the rule itself, on the boundaries."""

from datetime import date

import pytest
from sqlalchemy import Column, Date, Integer, Table, insert, select

from cnum_shared.framework.db import Database, contract_active_on, new_metadata

METADATA = new_metadata()
CONTRACTS = Table(
    "contracts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("ended_on", Date),
)
START = date(2024, 3, 1)
# id: (end_date, ended_on): a CDD run to its end, the same ended early, a CDI, a CDI ended early.
ROWS = {
    1: (date(2025, 2, 28), None),
    2: (date(2025, 2, 28), date(2024, 9, 15)),
    3: (None, None),
    4: (None, date(2024, 9, 15)),
}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('contracts') / 'contracts.sqlite3'}")
    METADATA.create_all(database.engine)
    with database.unit_of_work() as uow:
        for key, (end_date, ended_on) in ROWS.items():
            uow.session.execute(
                insert(CONTRACTS).values(id=key, start_date=START, end_date=end_date, ended_on=ended_on)
            )
        uow.commit()
    yield database
    database.dispose()


@pytest.mark.parametrize(
    ("on", "active"),
    [
        # start ≤ D ≤ (ended_on or end_date), worked out by hand for each contract of ROWS
        (date(2024, 2, 29), set()),
        (START, {1, 2, 3, 4}),
        (date(2024, 9, 15), {1, 2, 3, 4}),
        (date(2024, 9, 16), {1, 3}),
        (date(2025, 2, 28), {1, 3}),
        (date(2025, 3, 1), {3}),
    ],
)
def test_the_query_finds_the_contracts_active_on_a_day(database, on, active):
    condition = contract_active_on(CONTRACTS.c.start_date, CONTRACTS.c.end_date, CONTRACTS.c.ended_on, on)
    with database.unit_of_work(read_only=True) as uow:
        assert set(uow.session.scalars(select(CONTRACTS.c.id).where(condition))) == active
