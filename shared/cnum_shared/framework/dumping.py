"""The answers' serialization, planned once per schema instead of looked up on every value.

marshmallow's `Schema.dump` asks, for every field of every item, which attribute holds the value and how
to read it (`obj[key]` first, an exception, then `getattr`): on a page of twenty tranches read as
SQLAlchemy rows, two thirds of the serialization's time (bench/run.py, the tranche list). `plan_dumping`
makes that decision once per field and once per item type, and still formats each value with the field's
own `_serialize`, so that the JSON is the one marshmallow writes, byte for byte: the schema, its hooks and
its documentation are untouched. A field that reads its value its own way (`get_value` or `serialize`
overridden, a dotted `attribute`) keeps marshmallow's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import missing
from marshmallow.utils import get_value as _marshmallow_get_value
from sqlalchemy.engine import Row

#: The attribute set on a planned schema instance, so that it is planned once.
_PLANNED = "_cnum_planned_dumping"


#: What a SQLAlchemy row answers as an attribute before its columns (`count`, `index`, `t`, `_mapping`…).
_ROW_ATTRIBUTES = frozenset(dir(Row))


def _getter_for(item: Any) -> Callable[[Any, str, Any], Any]:
    """How marshmallow's `utils.get_value` reads a plain key of `item`, decided once per item type."""
    if isinstance(item, Row):
        # A row is a tuple: `row["id"]` raises TypeError, after which marshmallow takes the attribute,
        # which for a column is its value; the row's mapping gives the same value five times faster.
        mapping = item._mapping

        def from_row(row: Any, key: str, default: Any) -> Any:
            if key in _ROW_ATTRIBUTES:
                return getattr(row, key, default)
            try:
                return mapping[key]
            except KeyError:
                return getattr(row, key, default)

        return from_row
    if type(item) is dict:
        return _from_dict
    if not hasattr(item, "__getitem__"):
        return getattr
    return _marshmallow_get_value


def _from_dict(item: dict[str, Any], key: str, default: Any) -> Any:
    # As marshmallow: the key, else an attribute of that name (a dict has a few), else the default.
    if key in item:
        return item[key]
    return getattr(item, key, default)


_NO_METADATA = object()
_TEXT_SERIALIZERS = (ma.fields.String._serialize, ma.fields.UUID._serialize)


def _unchanged_types(field: ma.fields.Field[Any]) -> frozenset[type]:
    """The types of value that `field._serialize` returns as they are: a string (or None) for a text or
    UUID field, an int (or None) for a plain integer field. Those values skip the call."""
    serialize = type(field)._serialize
    if serialize in _TEXT_SERIALIZERS:
        return frozenset({str, type(None)})
    if (
        isinstance(field, ma.fields.Number)
        and serialize is ma.fields.Number._serialize
        and type(field)._format_num is ma.fields.Number._format_num
        and field.num_type is int
        and not field.as_string
    ):
        return frozenset({int, type(None)})
    return frozenset()


def plan_dumping(schema: ma.Schema) -> ma.Schema:
    """Give `schema` (an instance) the planned serialization and return it; idempotent."""
    if getattr(schema, _PLANNED, False):
        return schema
    if type(schema).get_attribute is not ma.Schema.get_attribute:
        return schema  # the schema reads values its own way: left to marshmallow
    plain_field = ma.fields.Field
    plan: list[tuple[str, str, ma.fields.Field[Any], str | None, frozenset[type]]] = []
    for attr_name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else attr_name
        source = field.attribute if field.attribute is not None else attr_name
        plain = (
            type(field).get_value is plain_field.get_value
            and type(field).serialize is plain_field.serialize
            and field._CHECK_ATTRIBUTE
            and "." not in source
        )
        plan.append((key, attr_name, field, source if plain else None, _unchanged_types(field)))
    dict_class = schema.dict_class
    accessor = schema.get_attribute

    def serialize(obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            items = obj if isinstance(obj, list | tuple) else list(obj)
            if items and isinstance(items[0], Row):
                return serialize_rows(items)
            return [serialize(item) for item in items]
        get = _getter_for(obj)
        result = dict_class()
        for key, attr_name, field, source, unchanged in plan:
            if source is None:
                value = field.serialize(attr_name, obj, accessor=accessor)
                if value is not missing:
                    result[key] = value
                continue
            value = get(obj, source, missing)
            if value is missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is missing:
                    continue
            result[key] = value if type(value) in unchanged else field._serialize(value, attr_name, obj)
        return result

    def serialize_rows(rows: list[Any] | tuple[Any, ...]) -> list[Any]:
        """Rows of one result: each field's value read by its position among the columns, found once."""
        columns = rows[0]._fields
        positions = {name: index for index, name in enumerate(columns)}
        if any(
            source is None or source not in positions or source in _ROW_ATTRIBUTES
            for _, _, _, source, _ in plan
        ):
            return [serialize(row) for row in rows]
        by_position = [
            (key, positions[source], unchanged, field._serialize, attr_name)
            for key, attr_name, field, source, unchanged in plan
            if source is not None
        ]
        first_type = type(rows[0])
        # The rows of one result share its metadata (`_parent`, in SQLAlchemy's rows since 1.4): a cheap
        # test that a row has these columns, where comparing `_fields` would build a tuple per row.
        metadata = getattr(rows[0], "_parent", _NO_METADATA)
        result = []
        for row in rows:
            if type(row) is not first_type or getattr(row, "_parent", None) is not metadata:
                result.append(serialize(row))
                continue
            item = dict_class()
            for key, position, unchanged, format_value, attr_name in by_position:
                value = row[position]
                item[key] = value if type(value) in unchanged else format_value(value, attr_name, row)
            result.append(item)
        return result

    # `dump` still runs the schema's pre- and post-dump hooks around this.
    schema._serialize = serialize  # type: ignore[method-assign]
    setattr(schema, _PLANNED, True)
    return schema
