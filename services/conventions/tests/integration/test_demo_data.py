from sqlalchemy import func, select

from conventions.adapters.orm import Structure, event_tables
from conventions.demo import DEMO_STRUCTURES, load_demo


def test_the_demo_data_is_loaded_once_with_one_event_per_structure(app):
    settings = app.extensions["cnum"].settings
    assert load_demo(settings) == f"demo data: {len(DEMO_STRUCTURES)} structures loaded"
    assert load_demo(settings) == "demo data: structures already present, nothing loaded"
    with app.extensions["cnum"].database.session() as session:
        departments = set(session.scalars(select(Structure.department)))
        events = session.scalar(select(func.count()).select_from(event_tables.outbox))
    assert departments == {"15", "94", "971", "974", "976"}
    assert events == len(DEMO_STRUCTURES)
