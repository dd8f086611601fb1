"""Files the services write for people to open in a spreadsheet: one way to make them inert.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms,
which some spreadsheets read alike) is run as a formula by Excel, LibreOffice Calc and Google Sheets
(OWASP "CSV Injection"). Every text cell of an export goes through `spreadsheet_safe`, which puts a single
quote before it: the spreadsheet shows the text as typed and runs nothing. Numbers stay numbers.

No export writes activity-report (CRA) values today (they are imported, never listed back); an export
that does must write its cells through `csv_bytes` or `spreadsheet_safe`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum, StrEnum
from typing import Any

from cnum_shared.core.dates import PARIS
from cnum_shared.core.errors import Invalid

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def spreadsheet_safe(value: object) -> object:
    """The value as a cell that runs nothing: a text starting like a formula gets a leading quote."""
    if not isinstance(value, str):
        return value
    stripped = value.lstrip(" \u00a0")
    if stripped.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(stripped):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """A UTF-8 CSV (with a BOM, so that Excel reads the accents) whose every cell is spreadsheet-safe.

    `bom=False` for a file that a schema describes as plain UTF-8 (the SCDL open data): its validators
    would read the BOM as part of the first column's name."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return (("\ufeff" if bom else "") + output.getvalue()).encode("utf-8")


# --- The exports of the working lists (tranches, payments, runs, recoveries, obligations, alerts) ----------
#
# Each list declares its columns once: a French header, how to read the value from a row, and its kind.
# The kind decides what the spreadsheet receives: an amount is a number to the cent (never the string the
# JSON answers carry), a date a real date, an integer a number, and only text is text — the one kind a
# spreadsheet could mistake for a formula, so the only one neutralised.


class Kind(StrEnum):
    TEXT = "text"
    AMOUNT = "amount"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"


@dataclass(frozen=True)
class Column:
    """One column of an export: its French header, the value of a row, its kind and its width (XLSX)."""

    header: str
    value: Callable[[Any], object]
    kind: Kind = Kind.TEXT
    width: int = 16


def column(
    header: str,
    attribute: str,
    kind: Kind = Kind.TEXT,
    width: int | None = None,
    *,
    labels: Mapping[Any, str] | None = None,
) -> Column:
    """A column reading `attribute` of a row (an object, a SQL row or a dict); `labels` writes a code (a
    status, a kind) as the French word a person reads ("due" → "échue"), the code itself when unknown."""

    def read(row: Any) -> object:
        value = row.get(attribute) if isinstance(row, Mapping) else getattr(row, attribute, None)
        if labels is not None and value is not None:
            return labels.get(str(value), str(value))
        return value

    default_width = {Kind.AMOUNT: 14, Kind.DATE: 12, Kind.DATETIME: 17, Kind.INTEGER: 9}.get(kind, 20)
    return Column(header, read, kind, width or default_width)


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


#: An export holds every row the filters match, up to this many (the programme's largest list, its
#: ~2,800 posts' tranches over a convention's life, is a few ten thousands): past it, 422, filter more.
MAX_EXPORT_ROWS = 50_000

_CENT = Decimal("0.01")


def ensure_exportable(total: int) -> None:
    """Refuse (422) an export of more rows than `MAX_EXPORT_ROWS`, rather than truncate it silently."""
    if total > MAX_EXPORT_ROWS:
        raise Invalid(
            f"L'export est limité à {MAX_EXPORT_ROWS:,} lignes et {total:,} correspondent à ces filtres : "
            "précisez les filtres.".replace(",", "\u202f"),
            errors={"query": {"format": [f"au plus {MAX_EXPORT_ROWS} lignes par export"]}},
        )


def typed_value(kind: Kind, value: object) -> object:
    """The value as the kind wants it: amounts `Decimal` to the cent, dates `date`, date-times in Paris
    time without a zone (a spreadsheet knows no zones), integers `int`, text `str` (None → empty)."""
    if value is None:
        return None
    if kind is Kind.AMOUNT:
        return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    if kind is Kind.DATE:
        if isinstance(value, datetime):
            return (value.astimezone(PARIS) if value.tzinfo else value).date()
        return value
    if kind is Kind.DATETIME:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(PARIS).replace(tzinfo=None, microsecond=0)
        return value
    if kind is Kind.INTEGER:
        return int(value)  # type: ignore[call-overload]
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(item) for item in value)
    return str(value)


def _csv_cell(kind: Kind, value: object) -> object:
    """The CSV text of a cell as French Excel reads it: 2083,33 and 15/03/2026 (no thousands separator,
    so that the cell stays a number)."""
    if value is None:
        return ""
    if kind is Kind.AMOUNT:
        return f"{value:.2f}".replace(".", ",")
    if kind is Kind.DATE and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return spreadsheet_safe(value)


def csv_export(columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    """The rows as French Excel opens a CSV: UTF-8 with a BOM, `;` between cells, decimal commas; every
    text cell spreadsheet-safe."""
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(c.header) for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(c.kind, typed_value(c.kind, c.value(row))) for c in columns])
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def export_file_name(list_name: str, on: date, export_format: ExportFormat) -> str:
    """`tranches-2026-03-15.xlsx`: the list and the day it was drawn."""
    return f"{list_name}-{on.isoformat()}.{export_format.value}"


def every_row(page: Callable[[int, int], tuple[Sequence[Any], int]]) -> Sequence[Any]:
    """Every row a list's filters match, read through its page query `page(offset, limit) -> (rows,
    total)`: one page of `MAX_EXPORT_ROWS`, refused (422) when more rows match."""
    rows, total = page(0, MAX_EXPORT_ROWS)
    ensure_exportable(total)
    return rows
