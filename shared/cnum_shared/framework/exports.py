"""The export of a working list as a file: CSV for French Excel, or XLSX written with openpyxl.

The columns and the cell values come from `cnum_shared.core.exports`; this module writes the workbook and
the HTTP answer. A view exports with `export_response(...)` and documents itself with `EXPORT_DOC`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask import Response
from marshmallow import Schema, fields, validate
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter

from cnum_shared.core.exports import (
    FORMULA_STARTS,
    Column,
    ExportFormat,
    Kind,
    csv_export,
    export_file_name,
    typed_value,
)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.XLSX: XLSX_MEDIA_TYPE}

#: Excel's formats for the French reader: 2 083,33 € and 15/03/2026.
NUMBER_FORMATS = {
    Kind.AMOUNT: '#,##0.00 "€"',
    Kind.DATE: "dd/mm/yyyy",
    Kind.DATETIME: "dd/mm/yyyy hh:mm",
    Kind.INTEGER: "0",
}


class ExportQuerySchema(Schema):
    """The `format` of an export; a list's export schema adds its filters."""

    format = fields.String(
        required=True,
        validate=validate.OneOf([f.value for f in ExportFormat]),
        metadata={"description": "csv (séparateur « ; », UTF-8 avec BOM) ou xlsx"},
    )


#: The OpenAPI answer of every export.
EXPORT_DOC: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "Le fichier : toutes les lignes des filtres, en-têtes en français "
            "(422 au-delà de 50 000 lignes)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
    }
}


def xlsx_export(columns: Sequence[Column], rows: Iterable[Any], title: str) -> bytes:
    """A workbook of one sheet: the header row frozen, filters on, each column its width and format.

    openpyxl stores a `str` starting with "=" as a formula: a text cell is forced to the string type
    (`s`), so Excel shows it and never evaluates it, and one that starts like a formula also carries
    Excel's quote prefix, so that editing it does not turn it into one either."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, col in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = col.width
    sheet.append([_text_cell(sheet, col.header) for col in columns])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, col.kind, typed_value(col.kind, col.value(row))) for col in columns])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{count + 1}"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _text_cell(sheet: Any, value: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.lstrip(" \u00a0").startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _cell(sheet: Any, kind: Kind, value: object) -> Cell:
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if kind is Kind.TEXT:
        return _text_cell(sheet, str(value))
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # Decimal, date, int
    cell.number_format = NUMBER_FORMATS[kind]
    return cell


def export_response(
    list_name: str, columns: Sequence[Column], rows: Iterable[Any], export_format: str, on: date
) -> Response:
    """The file of the list, as a download named after the list and the day (`tranches-2026-03-15.csv`)."""
    chosen = ExportFormat(export_format)
    if chosen is ExportFormat.CSV:
        content = csv_export(columns, rows)
    else:
        content = xlsx_export(columns, rows, list_name)
    name = export_file_name(list_name, on, chosen)
    return Response(
        content,
        mimetype=MEDIA_TYPES[chosen].split(";")[0],
        content_type=MEDIA_TYPES[chosen],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
