from datetime import date

from sqlalchemy import func, select

from conventions.adapters.orm import Contract, Convention, Structure, event_tables
from conventions.demo import DEMO_CONVENTIONS, DEMO_STRUCTURES, load_demo


def test_the_demo_data_is_loaded_once_through_the_use_cases(app):
    settings = app.extensions["cnum"].settings
    assert (
        load_demo(settings)
        == "demo data: 5 structures and 8 signed conventions loaded; 7 officers in the directory"
    )
    assert load_demo(settings) == "demo data: structures already present, nothing loaded"
    with app.extensions["cnum"].database.session() as session:
        departments = set(session.scalars(select(Structure.department)))
        statuses = list(session.scalars(select(Convention.status)))
        salaries = sorted(str(salary) for salary in session.scalars(select(Contract.gross_monthly_salary)))
        moved = session.execute(
            select(
                Contract.contract_type, Contract.public_status, Contract.original_contract_start_date
            ).where(Contract.existing_cdi_employee.is_(True))
        ).all()
        events = dict(
            session.execute(
                select(event_tables.outbox.c.type, func.count()).group_by(event_tables.outbox.c.type)
            ).all()
        )
    assert departments == {"15", "94", "971", "974", "976"}
    # Three 2021 conventions were renewed: closed at their term; the five others are signed.
    assert sorted(statuses) == ["closed"] * 3 + ["signed"] * 5
    assert salaries == ["1500.00", "1900.00"]
    # Mamoudzou's contractual agent moved to the post on her public-law CDI (decision 0026).
    assert [tuple(row) for row in moved] == [("cdi", "contractuel", date(2022, 1, 3))]
    assert events == {
        "structure.updated": len(DEMO_STRUCTURES),
        "convention.signed": len(DEMO_CONVENTIONS),
        "convention.closed": 3,
        "contract.signed": 2,
    }
