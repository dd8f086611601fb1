"""What the fast read path of the lists must not change (decision 0039): `uuid_text` reads a UUID column as
the text `str(uuid.UUID)` writes, on SQLite and PostgreSQL; a schema whose serialization is planned
(`plan_dumping`) answers the JSON marshmallow writes, byte for byte, for SQL rows, ORM objects and dicts,
with its hooks, its data keys, its attributes and its defaults."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump, pre_dump
from marshmallow.utils import get_value
from sqlalchemy import Date, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnum_shared.core.wire import money_field
from cnum_shared.framework.db import MONEY, Database, UtcDateTime, new_metadata, uuid_text
from cnum_shared.framework.dumping import plan_dumping


class Base(DeclarativeBase):
    metadata = new_metadata()


class Line(Base):
    __tablename__ = "lines"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    other_id: Mapped[uuid.UUID | None]
    number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    due_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Named like a method of SQLAlchemy's rows (`Row.count`): read as marshmallow reads it.
    count: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(100))


class LineSchema(Schema):
    id = fields.UUID()
    other_id = fields.UUID(allow_none=True)
    number = fields.Integer()
    amount = money_field(required=False)
    due_on = fields.Date()
    at = fields.AwareDateTime(allow_none=True)
    count = fields.String(allow_none=True)
    remark = fields.String(data_key="note_on_the_wire", attribute="note", allow_none=True)
    absent = fields.String(dump_default="par défaut")
    never = fields.String()
    twice = fields.Method("double")
    as_text = fields.Function(lambda line: f"n°{get_value(line, 'number')}")

    def double(self, line: Any) -> int:
        return 2 * get_value(line, "number")


class ColumnsSchema(Schema):
    """Only fields read from columns: rows of one result are read by position."""

    id = fields.UUID()
    id_text = fields.UUID()
    other_id = fields.UUID(allow_none=True)
    number = fields.Integer()
    amount = money_field(required=False)
    due_on = fields.Date()
    at = fields.AwareDateTime(allow_none=True)
    remark = fields.String(data_key="note_on_the_wire", attribute="note", allow_none=True)


class HookedSchema(LineSchema):
    @pre_dump(pass_collection=True)
    def keep_two(self, lines: Any, many: bool, **kwargs: Any) -> Any:
        return list(lines)[:2] if many else lines

    @post_dump
    def mark(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "marked": True}


@pytest.fixture
def database(db_backend, test_databases):
    database = Database(test_databases.empty(db_backend))
    Base.metadata.create_all(database.engine)
    with database.unit_of_work() as uow:
        uow.session.add_all(
            Line(
                id=uuid.uuid4(),
                other_id=None if number % 2 else uuid.uuid4(),
                number=number,
                amount=Decimal("35000.00") + Decimal(number) / 4,
                due_on=date(2025, 9, number),
                at=datetime(2025, 9, number, 8, 30, tzinfo=UTC) if number % 3 else None,
                count=f"{number} fois" if number % 2 else None,
                note="Commune d'Éragny" if number % 2 else None,
            )
            for number in range(1, 8)
        )
        uow.commit()
    yield database
    database.dispose()


def wire(value: Any) -> str:
    """The JSON as Flask writes it (sorted keys, ASCII escapes), to compare byte for byte."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def test_uuid_text_is_the_text_of_the_uuid(database):
    with database.session() as session:
        rows = session.execute(
            select(Line.id, Line.other_id, uuid_text(Line.id).label("id_text"), uuid_text(Line.other_id))
        ).all()
    assert len(rows) == 7
    for identifier, other, as_text, other_text in rows:
        assert as_text == str(identifier)
        assert other_text == (None if other is None else str(other))


@pytest.mark.parametrize("schema_class", [LineSchema, ColumnsSchema, HookedSchema])
def test_a_planned_schema_answers_what_marshmallow_answers(database, schema_class):
    columns = [*Line.__table__.c, uuid_text(Line.id).label("id_text")]
    with database.session() as session:
        rows = session.execute(select(*columns).order_by(Line.number)).all()
        other_rows = session.execute(select(*Line.__table__.c).order_by(Line.number.desc())).all()
        objects = session.scalars(select(Line).order_by(Line.number)).all()
    plain, planned = schema_class(), plan_dumping(schema_class())
    mapped = [dict(row._mapping) for row in rows]
    namespaces = [SimpleNamespace(**item) for item in mapped]
    # Rows of one result, rows of two results in one list, ORM objects, dicts, plain objects, one item.
    for items in (rows, [*rows[:3], *other_rows[:3]], objects, mapped, namespaces, tuple(rows), iter(rows)):
        items = list(items)
        assert wire(planned.dump(items, many=True)) == wire(plain.dump(items, many=True))
        assert wire(planned.dump(items[0])) == wire(plain.dump(items[0]))
    assert planned.dump([], many=True) == plain.dump([], many=True) == []
    assert plan_dumping(planned) is planned


def test_a_schema_that_reads_values_its_own_way_is_left_to_marshmallow():
    class OwnAccess(Schema):
        name = fields.String()

        def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
            return obj[attr].upper()

    schema = plan_dumping(OwnAccess(many=True))
    assert schema.dump([{"name": "guyane"}]) == [{"name": "GUYANE"}]
    assert "_serialize" not in vars(schema)
