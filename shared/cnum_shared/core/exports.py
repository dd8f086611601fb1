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
from collections.abc import Iterable, Sequence

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
