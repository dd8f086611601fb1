"""Dated legal parameters in OpenFisca's shape, loaded from the YAML files of shared/parameters/.

A directory is a node (its `index.yaml` describes it); a YAML file is either one parameter or a node
whose keys are child nodes and parameters. A parameter is a mapping with `values`:

    description: SMIC horaire brut en métropole
    metadata:
      unit: currency-EUR
    values:
      2026-01-01:
        value: 12.02
        reference:
          title: Décret du 17 décembre 2025 portant relèvement du salaire minimum de croissance
          href: https://…
        note: mensuel publié 1 823,03 €

Every value carries a reference (a title and/or href, a string, a list of them, or the word
`assumption` for a value no public text gives). `value: null` ends a parameter from its date, as in
OpenFisca. Numbers are read as Decimal, never float. A malformed file is refused at load with its path
and what is wrong, so a service never starts on a broken parameter.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ParameterScalar = Decimal | int | bool | str | date
ParameterData = ParameterScalar | tuple[ParameterScalar, ...]

#: Keys a node or a parameter may carry besides its children (OpenFisca's own, plus `documentation`).
_DESCRIPTIVE_KEYS = {"description", "metadata", "documentation"}
_VALUE_KEYS = {"value", "reference", "note"}
_INDEX_FILE = "index.yaml"


class ParameterFileError(ValueError):
    """A parameter file is malformed; the message names the file, the parameter and the problem."""


class ParameterNotInForce(LookupError):
    """The parameter has no value on that date (before its first date, or after it was ended)."""


class ParameterTypeError(TypeError):
    """A parameter's value is not of the type its caller reads (a list where a number is expected…)."""


class _DecimalLoader(yaml.SafeLoader):
    """YAML floats become Decimal: 10.15 must stay exactly 10.15, never 10.1499999…"""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, f"not a number: {text!r}", node.start_mark
        ) from None
    if not number.is_finite():
        raise yaml.constructor.ConstructorError(None, None, f"not a finite number: {text!r}", node.start_mark)
    return number


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


@dataclass(frozen=True)
class ParameterValue:
    """One dated value of a parameter, with its source."""

    name: str
    value: ParameterData
    effective_from: date
    #: Human-readable source; "assumption" when no public text gives the value.
    reference: str
    note: str | None = None

    @property
    def is_assumption(self) -> bool:
        return self.reference == "assumption"

    def as_decimal(self) -> Decimal:
        return _number(self.name, self.value)

    def as_int(self) -> int:
        return _whole(self.name, self.value)

    def as_bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise ParameterTypeError(f"{self.name}: {self.value!r} is not a boolean")
        return self.value

    def as_date(self) -> date:
        if not isinstance(self.value, date):
            raise ParameterTypeError(f"{self.name}: {self.value!r} is not a date")
        return self.value

    def as_decimals(self) -> tuple[Decimal, ...]:
        return tuple(_number(self.name, item) for item in self._items())

    def as_ints(self) -> tuple[int, ...]:
        return tuple(_whole(self.name, item) for item in self._items())

    def as_strings(self) -> tuple[str, ...]:
        """A list of codes (contract types, cases…): every item must be a text."""
        items = self._items()
        for item in items:
            if not isinstance(item, str):
                raise ParameterTypeError(f"{self.name}: {item!r} is not a text")
        return tuple(str(item) for item in items)

    def _items(self) -> tuple[ParameterScalar, ...]:
        if not isinstance(self.value, tuple):
            raise ParameterTypeError(f"{self.name}: {self.value!r} is not a list")
        return self.value


def _number(name: str, value: object) -> Decimal:
    # bool is an int in Python; `true` where an amount is expected is a mistake in the file.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ParameterTypeError(f"{name}: {value!r} is not a number")
    return Decimal(value)


def _whole(name: str, value: object) -> int:
    number = _number(name, value)
    if number != number.to_integral_value():
        raise ParameterTypeError(f"{name}: {value!r} is not a whole number")
    return int(number)


@dataclass(frozen=True)
class Parameter:
    """A parameter: its values by effective date."""

    name: str
    description: str
    unit: str | None
    #: Ascending by date; None ends the parameter from that date.
    timeline: tuple[tuple[date, ParameterValue | None], ...]

    def at(self, on: date) -> ParameterValue:
        """The value in force on `on`."""
        index = bisect_right([when for when, _ in self.timeline], on) - 1
        if index < 0:
            first = self.timeline[0][0].isoformat()
            raise ParameterNotInForce(f"{self.name}: no value before {first} (asked for {on.isoformat()})")
        found = self.timeline[index][1]
        if found is None:
            ended = self.timeline[index][0].isoformat()
            raise ParameterNotInForce(f"{self.name}: ended on {ended} (asked for {on.isoformat()})")
        return found

    def history(self) -> list[ParameterValue]:
        """Every value that was in force, oldest first (end markers left out)."""
        return [value for _, value in self.timeline if value is not None]


@dataclass(frozen=True)
class ParameterNode:
    """A group of parameters (a directory, or a YAML file holding several parameters)."""

    name: str
    description: str
    children: dict[str, ParameterNode | Parameter] = field(default_factory=dict)

    def __contains__(self, child: object) -> bool:
        return child in self.children

    def get(self, path: str) -> Parameter:
        """A parameter by dotted path: `smic.hourly.metropole`."""
        found = self._find(path)
        if not isinstance(found, Parameter):
            raise KeyError(f"{self._qualified(path)!r} is a group of parameters, not a parameter")
        return found

    def node(self, path: str) -> ParameterNode:
        """A group of parameters by dotted path: `obligations.post_refill`."""
        found = self._find(path)
        if not isinstance(found, ParameterNode):
            raise KeyError(f"{self._qualified(path)!r} is a parameter, not a group of parameters")
        return found

    def walk(self) -> Iterator[Parameter]:
        """Every parameter under this node, depth first."""
        for child in self.children.values():
            if isinstance(child, ParameterNode):
                yield from child.walk()
            else:
                yield child

    def _find(self, path: str) -> ParameterNode | Parameter:
        current: ParameterNode | Parameter = self
        for part in path.split("."):
            if not isinstance(current, ParameterNode) or part not in current.children:
                raise KeyError(f"no parameter {self._qualified(path)!r}")
            current = current.children[part]
        return current

    def _qualified(self, path: str) -> str:
        return f"{self.name}.{path}" if self.name else path


# --- Loading ------------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        raise ParameterFileError(f"{path}: not valid YAML: {error}") from None
    except UnicodeDecodeError:
        raise ParameterFileError(f"{path}: not UTF-8 text") from None
    if not isinstance(content, dict):
        raise ParameterFileError(f"{path}: expected a mapping with a description and values or children")
    return content


def _description(content: dict[str, Any], where: str) -> str:
    description = content.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ParameterFileError(f"{where}: every parameter and group needs a 'description'")
    return description.strip()


def _reference_text(raw: object, where: str) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    if isinstance(raw, dict) and raw and set(raw) <= {"title", "href"}:
        parts = [str(raw[key]).strip() for key in ("title", "href") if raw.get(key)]
        if parts:
            return " — ".join(parts)
    if isinstance(raw, list) and raw:
        return "; ".join(_reference_text(item, where) for item in raw)
    raise ParameterFileError(
        f"{where}: a reference is a title and/or href, a text, a list of them, or 'assumption'"
    )


def _scalar(raw: object, where: str) -> ParameterScalar:
    if isinstance(raw, Decimal | int | bool | str | date):
        return raw
    raise ParameterFileError(f"{where}: a value is a number, a boolean, a text, a date or a list of them")


def _parameter(content: dict[str, Any], name: str, where: str) -> Parameter:
    unknown = set(content) - _DESCRIPTIVE_KEYS - {"values"}
    if unknown:
        raise ParameterFileError(f"{where}: unknown keys {sorted(unknown)} beside 'values'")
    values = content["values"]
    if not isinstance(values, dict) or not values:
        raise ParameterFileError(f"{where}: 'values' must map effective dates (YYYY-MM-DD) to values")
    metadata = content.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ParameterFileError(f"{where}: 'metadata' must be a mapping")
    timeline: list[tuple[date, ParameterValue | None]] = []
    for when, entry in values.items():
        # A datetime is a date too; only a bare calendar date is an effective date.
        if not isinstance(when, date) or type(when) is not date:
            raise ParameterFileError(f"{where}: {when!r} is not an effective date (YYYY-MM-DD)")
        at = f"{where} at {when.isoformat()}"
        if not isinstance(entry, dict) or "value" not in entry:
            raise ParameterFileError(f"{at}: each date needs a 'value'")
        unknown = set(entry) - _VALUE_KEYS
        if unknown:
            raise ParameterFileError(f"{at}: unknown keys {sorted(unknown)}")
        raw = entry["value"]
        if raw is None:
            timeline.append((when, None))
            continue
        if "reference" not in entry:
            raise ParameterFileError(f"{at}: every value needs a 'reference' (a source, or 'assumption')")
        if isinstance(raw, list):
            if not raw:
                raise ParameterFileError(f"{at}: an empty list is not a value")
            value: ParameterData = tuple(_scalar(item, at) for item in raw)
        else:
            value = _scalar(raw, at)
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            raise ParameterFileError(f"{at}: a note is a text")
        timeline.append(
            (when, ParameterValue(name, value, when, _reference_text(entry["reference"], at), note))
        )
    timeline.sort(key=lambda item: item[0])
    if timeline[0][1] is None:
        raise ParameterFileError(f"{where}: the first value cannot be null")
    unit = metadata.get("unit")
    return Parameter(
        name, _description(content, where), str(unit) if unit is not None else None, tuple(timeline)
    )


def _node(content: dict[str, Any], name: str, where: str) -> ParameterNode:
    children: dict[str, ParameterNode | Parameter] = {}
    for key, child in content.items():
        if key in _DESCRIPTIVE_KEYS:
            continue
        if not isinstance(key, str) or not key.isidentifier():
            raise ParameterFileError(f"{where}: {key!r} is not a parameter name")
        if not isinstance(child, dict):
            raise ParameterFileError(f"{where}: {key!r} must be a parameter (with 'values') or a group")
        children[key] = _entry(child, _join(name, key), f"{where} › {key}")
    if not children:
        raise ParameterFileError(
            f"{where}: a group needs at least one parameter, or this is a parameter without 'values'"
        )
    # A group's description is optional (OpenFisca's too); a parameter's is required.
    return ParameterNode(name, str(content.get("description") or "").strip(), children)


def _entry(content: dict[str, Any], name: str, where: str) -> ParameterNode | Parameter:
    return _parameter(content, name, where) if "values" in content else _node(content, name, where)


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def _directory(directory: Path, name: str) -> ParameterNode:
    description = ""
    index = directory / _INDEX_FILE
    if index.exists():
        meta = _read_yaml(index)
        unknown = set(meta) - _DESCRIPTIVE_KEYS
        if unknown:
            raise ParameterFileError(
                f"{index}: an index describes its directory only; unknown keys {sorted(unknown)}"
            )
        description = str(meta.get("description") or "").strip()
    children: dict[str, ParameterNode | Parameter] = {}
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            children[entry.name] = _directory(entry, _join(name, entry.name))
        elif entry.suffix in {".yaml", ".yml"} and entry.name != _INDEX_FILE:
            children[entry.stem] = _entry(_read_yaml(entry), _join(name, entry.stem), str(entry))
    if not children:
        raise ParameterFileError(f"{directory}: no parameter files")
    return ParameterNode(name, description, children)


def default_directory() -> Path:
    """shared/parameters beside the package, unless CNUM_PARAMETERS_DIR points elsewhere."""
    configured = os.environ.get("CNUM_PARAMETERS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "parameters"


def load_parameters(directory: Path | None = None) -> ParameterNode:
    """Load and check every parameter file under `directory` (shared/parameters by default)."""
    root = directory or default_directory()
    if not root.is_dir():
        raise ParameterFileError(f"{root}: parameter directory not found")
    return _directory(root, "")


@cache
def parameters() -> ParameterNode:
    """The programme's parameters, loaded once per process: for the composition roots only.

    A service's bootstrap (and its `manage` commands, the tests' fixtures) calls it once and hands the
    tree to the unit of work (`uow.parameters`); domain code and use cases never call it, they take the
    tree as an argument (every function of `cnum_shared.core.legal` requires `tree=`).
    """
    return load_parameters()
