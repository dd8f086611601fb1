"""The exports of compliance's working lists (decision 0028): obligations and alert digests, as CSV for
French Excel and as XLSX, with the list's filters; a structure exports only its own rows; a hostile
structure name is written as inert text."""

import csv
import io
from datetime import date, datetime

import openpyxl

from cnum_shared.testing import bearer
from services.compliance.tests.api.conftest import STRUCTURE

HOSTILE = '=HYPERLINK("http://attacker.example/","Voir")'


def export(feed, path, fmt, role="compliance", **claims):
    separator = "&" if "?" in path else "?"
    response = feed.client.get(f"/api/v1/{path}{separator}format={fmt}", headers=bearer(role, **claims))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def csv_rows(response):
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(
        csv.reader(io.StringIO(response.get_data().decode("utf-8").removeprefix("\ufeff")), delimiter=";")
    )
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def xlsx_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def two_structures(feed):
    hostile = feed.convention(structure={**STRUCTURE, "name": HOSTILE})
    other = feed.convention()
    # The hostile structure's post was never filled: its candidate presentation is long overdue (a
    # contract's event would carry the structure's details again, under another name).
    feed.contract(other, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))
    feed.run("scan", date(2026, 1, 21))
    return hostile, other


def test_the_obligations_export_keeps_the_filters_and_the_structures_scope(feed):
    hostile, other = two_structures(feed)

    rows = xlsx_rows(export(feed, "obligations/export?status=overdue", "xlsx"))
    lines = csv_rows(export(feed, "obligations/export", "csv", role="auditor"))
    own = csv_rows(
        export(feed, "obligations/export", "csv", role="structure", structure_id=other["structure_id"])
    )

    overdue = feed.obligations(status="overdue")
    assert [row["Identifiant"].value for row in rows] == [o["id"] for o in overdue] and overdue
    assert {row["Statut"].value for row in rows} == {"en retard"}  # the label of "overdue"
    assert len(lines) == len(feed.obligations()) > len(rows)
    row = next(r for r in rows if r["Identifiant de la structure"].value == hostile["structure_id"])
    assert row["Structure"].value == HOSTILE and row["Structure"].data_type == "s"
    assert isinstance(row["Échéance"].value, datetime)
    first = next(o for o in overdue if o["id"] == row["Identifiant"].value)
    assert row["Échéance"].value.date() == date.fromisoformat(first["due_on"])
    line = next(r for r in lines if r["Identifiant"] == first["id"])
    assert line["Structure"] == "'" + HOSTILE
    assert line["Échéance"] == date.fromisoformat(first["due_on"]).strftime("%d/%m/%Y")
    # A structure exports its own, whatever structure_id it asks for.
    assert own and {r["Identifiant de la structure"] for r in own} == {other["structure_id"]}
    theirs = csv_rows(
        export(
            feed,
            f"obligations/export?structure_id={hostile['structure_id']}",
            "csv",
            role="structure",
            structure_id=other["structure_id"],
        )
    )
    assert theirs == own


def test_the_alerts_export_lists_the_digests_a_structure_its_own(feed, smtp):
    hostile, other = two_structures(feed)
    feed.run("send_alerts", date(2026, 1, 21))

    rows = xlsx_rows(export(feed, "alerts/export", "xlsx"))
    own = csv_rows(export(feed, "alerts/export", "csv", role="structure", structure_id=other["structure_id"]))

    digests = feed.call("GET", "/alerts", 200)
    assert sorted(row["Identifiant"].value for row in rows) == sorted(a["id"] for a in digests)
    assert len(rows) == 2
    row = next(r for r in rows if r["Identifiant de la structure"].value == hostile["structure_id"])
    assert row["Structure"].data_type == "s" and row["Structure"].value == HOSTILE
    assert row["Date"].value == datetime(2026, 1, 21)
    assert row["Nombre d'éléments"].value >= 1 and row["Statut"].value == "envoyé"
    assert [r["Identifiant de la structure"] for r in own] == [other["structure_id"]]
    assert own[0]["Date"] == "21/01/2026"


def test_an_export_without_a_format_is_refused(feed):
    refused = feed.call("GET", "/obligations/export", 422)
    assert "format" in refused["errors"]["query"]
    feed.call("GET", "/alerts/export?format=ods", 422)
