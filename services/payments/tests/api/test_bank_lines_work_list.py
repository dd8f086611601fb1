"""The bank's files against a payment run of cnum's own, end to end: the run's pain.001 read back, the
bank's pain.002 and camt.054 built by the standard and imported, imported again, and the lines nothing
matched worked by an officer from one list across every file (decision 0027)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import openpyxl

from cnum_shared.testing import bearer

from .bank_messages import camt054, exported_run, pain002, rows, upload


def issued_recovery(feed):
    """Saint-Flour (Cantal, public, 2 posts at 50 000: 40 000, 40 000, 20 000), tranches 1 and 2 paid, then
    one post fewer from month 7: 50 000 × 18 ÷ 24 = 37 500 less, taken by tranches 2 and 3 in proportion
    (−25 000, −12 500): tranche 2, paid 40 000, now stands at 15 000, so 25 000 is to pay back (issued at
    once); tranche 3 is 7 500. Returns the recovery and tranche 3, due on 10 January 2026."""
    structure = feed.structure("15")
    convention = feed.convention(structure, posts=2)  # 1 March 2021
    tranches = feed.tranches(convention)
    feed.pay_tranche(tranches[0], date(2021, 3, 20))
    feed.pay_tranche(tranches[1], date(2022, 3, 5))
    feed.amend(
        convention,
        posts=1,
        effective_date=date(2021, 9, 1),
        signed_on=date(2022, 6, 1),
        reason="Un poste rendu",
    )
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    [recovery] = balance["recoveries"]
    assert (recovery["status"], recovery["recoverable"]) == ("issued", "25000.00")
    feed.run("mark_due", date(2026, 1, 10))
    feed.standing(convention["structure_id"])
    return recovery, feed.tranches(convention)[2], convention


def reference_of(recovery):
    """The recovery's reference: "CNR" and its id's 32 hexadecimal digits, upper-cased (decision 0027)."""
    return "CNR" + recovery["id"].replace("-", "").upper()


def work_list(feed, query="", role="finance"):
    """The officer's list, and its X-Pagination total."""
    response = feed.client.get(
        f"/api/v1/bank-statements/unmatched-lines{'?' + query if query else ''}", headers=bearer(role)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json(), json.loads(response.headers["X-Pagination"])["total"]


def resolve(feed, line_id, body, expected, sub="chloe"):
    return feed.call("POST", f"/bank-statements/lines/{line_id}/resolve", expected, body, sub=sub)


def test_a_payment_run_round_trip_applies_each_bank_fact_once(documented_feed, database_url):
    feed = documented_feed
    recovery, third, saint_flour = issued_recovery(feed)
    # A second structure's first tranche: La Réunion, renewal of 36 months from 1 September 2024.
    reunion = feed.structure("974")
    renewal = feed.convention(
        reunion, wave="renewal", start=date(2024, 9, 1), months=36, signed_on=date(2024, 9, 1)
    )
    feed.standing(reunion["id"])
    first = feed.tranches(renewal)[0]
    feed.run("mark_due", date(2026, 1, 10))
    feed.on(date(2026, 1, 10))
    for tranche in (third, first):
        feed.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
    run, message_id, end_to_end = exported_run(feed, "run-round-trip")
    assert set(end_to_end) == {third["id"], first["id"]}
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe")

    # The bank's status report: La Réunion's transfer rejected (AC04), Saint-Flour's accepted.
    report = pain002(
        message_id, [(end_to_end[first["id"]], "RJCT", "AC04"), (end_to_end[third["id"]], "ACCP", None)]
    )
    reported = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 201)
    assert [line["outcome"] for line in reported["lines"]] == ["applied", "matched"]
    assert feed.call("GET", f"/tranches/{first['id']}", 200)["status"] == "approved"
    assert feed.call("GET", f"/tranches/{first['id']}/history", 200)[-1]["reason"] == (
        "rejet bancaire : AC04 compte clôturé"
    )

    # The account's notification: Saint-Flour's transfer debited, its repayment credited with the
    # recovery's reference, and a credit nobody at cnum knows.
    notification = camt054(
        [
            (False, "7500.00", "2026-01-19", end_to_end[third["id"]], "Conseiller numerique", "BQ-D-1"),
            (True, "25000.00", "2026-01-19", reference_of(recovery), "Reversement Saint-Flour", "BQ-C-1"),
            (True, "120.00", "2026-01-19", None, "Virement sans reference", "BQ-C-2"),
        ]
    )
    imported = upload(feed, "/bank-statements", notification, 201)
    assert [line["outcome"] for line in imported["lines"]] == ["applied", "applied", "unmatched"]
    assert feed.call("GET", f"/tranches/{third['id']}", 200)["status"] == "paid"
    balance = feed.call("GET", f"/conventions/{saint_flour['convention_id']}/balance", 200)
    assert [r["status"] for r in balance["recoveries"]] == ["received"]
    assert rows(
        database_url,
        "SELECT actor, reason FROM status_changes WHERE machine = 'recovery' AND to_status = 'received'",
    ) == [("chloe", "reçu le 2026-01-19 (relevé bancaire)")]

    counts = (
        "SELECT (SELECT count(*) FROM status_changes), (SELECT count(*) FROM tranche_history), "
        "(SELECT count(*) FROM payments), (SELECT count(*) FROM outbox_events)"
    )
    before = rows(database_url, counts)
    # Both files again: the first answers, nothing is applied.
    assert upload(feed, f"/payment-runs/{run['id']}/status-report", report, 200)["replayed"] is True
    assert upload(feed, "/bank-statements", notification, 200)["replayed"] is True
    # The next day's statement brings the same three lines again (same bank references), and a new one.
    repeated = camt054(
        [
            (True, "120.00", "2026-01-19", None, "Virement sans reference", "BQ-C-2"),
            (False, "7500.00", "2026-01-19", end_to_end[third["id"]], "Conseiller numerique", "BQ-D-1"),
            (True, "25000.00", "2026-01-19", reference_of(recovery), "Reversement Saint-Flour", "BQ-C-1"),
            (True, "80.00", "2026-01-20", None, "Autre virement", "BQ-C-3"),
        ],
        message_id="BANK-NTF-2",
    )
    again = upload(feed, "/bank-statements", repeated, 201)
    assert [line["outcome"] for line in again["lines"]] == [
        "unmatched",
        "already_applied",
        "already_applied",
        "unmatched",
    ]
    unknown = imported["lines"][2]
    assert again["lines"][0]["repeats_line_id"] == unknown["id"]
    assert rows(database_url, counts) == before
    assert feed.call("GET", f"/payment-runs/{run['id']}", 200)["status"] == "confirmed"

    # The officer's list holds each unknown credit once, in the order the bank sent them.
    listed, total = work_list(feed, role="auditor")
    assert total == 2
    assert [(line["amount"], line["bank_reference"], line["resolution"]) for line in listed] == [
        ("120.00", "BQ-C-2", "open"),
        ("80.00", "BQ-C-3", "open"),
    ]
    assert listed[0]["id"] == unknown["id"] and listed[0]["file_message_id"] == "BANK-NTF-1"
    # A line that matched, or that repeats a listed one, is not for an officer to decide on.
    matched = resolve(feed, imported["lines"][0]["id"], {"dismissed_reason": "not_ours"}, 409)
    assert matched["message"] == "Ligne déjà rapprochée : il n'y a rien à traiter."
    repeat = resolve(feed, again["lines"][0]["id"], {"dismissed_reason": "not_ours"}, 409)
    assert unknown["id"] in repeat["message"]


def test_an_officer_works_the_unmatched_lines_across_files(documented_feed, database_url):
    feed = documented_feed
    recovery, _, convention = issued_recovery(feed)
    # Saint-Flour paid back without writing the recovery's reference; two lines are not the programme's.
    first = camt054(
        [
            (True, "25000.00", "2026-01-19", None, "Reversement mairie de Saint-Flour", "BQ-1"),
            (True, "120.00", "2026-01-19", None, "Remboursement trop-percu", "BQ-2"),
        ]
    )
    second = camt054(
        [(False, "300.00", "2026-01-20", "CNUM-INCONNU", "Frais", "BQ-3")], message_id="BANK-NTF-2"
    )
    credit, small = upload(feed, "/bank-statements", first, 201)["lines"]
    [debit] = upload(feed, "/bank-statements", second, 201)["lines"]
    assert credit["note"] == "Aucun reversement reconnu dans les références du virement."

    listed, total = work_list(feed, "status=open")
    assert (total, [line["id"] for line in listed]) == (3, [credit["id"], small["id"], debit["id"]])
    assert [line["id"] for line in work_list(feed, "amount=25000.00")[0]] == [credit["id"]]
    assert [line["id"] for line in work_list(feed, "booked_from=2026-01-20")[0]] == [debit["id"]]
    assert [line["id"] for line in work_list(feed, "booked_to=2026-01-19&amount=120")[0]] == [small["id"]]
    assert work_list(feed, "status=resolved") == ([], 0)
    assert feed.call("GET", "/bank-statements/unmatched-lines?status=closed", 422)["code"] == 422

    # A credit of another amount does not pay the recovery; a debit never does; nor does an unknown one.
    refused = resolve(feed, small["id"], {"recovery_id": recovery["id"]}, 422)
    assert refused["message"] == (
        "Montant du virement 120,00\u00a0€, reversement de 25\u202f000,00\u00a0€ : un reversement n'est reçu "
        "que pour son montant exact."
    )
    refused = resolve(feed, debit["id"], {"recovery_id": recovery["id"]}, 422)
    assert (
        refused["message"]
        == "Seul un crédit comptabilisé sur le compte du programme peut payer un reversement."
    )
    unknown = "00000000-0000-0000-0000-000000000000"
    assert resolve(feed, credit["id"], {"recovery_id": unknown}, 422)["message"] == "Reversement inconnu."
    assert resolve(feed, unknown, {"dismissed_reason": "refund"}, 404)["code"] == 404
    both = resolve(feed, credit["id"], {"recovery_id": recovery["id"], "dismissed_reason": "refund"}, 422)
    assert both["errors"]["json"]["recovery_id"]
    assert resolve(feed, credit["id"], {"dismissed_reason": "other"}, 422)["errors"]["json"]["comment"]

    received = resolve(feed, credit["id"], {"recovery_id": recovery["id"]}, 200)

    assert (received["resolution"], received["recovery_id"], received["resolved_by"]) == (
        "received",
        recovery["id"],
        "chloe",
    )
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert [r["status"] for r in balance["recoveries"]] == ["received"]
    history = (
        "SELECT machine, from_status, to_status, actor, reason FROM status_changes "
        "WHERE machine IN ('recovery', 'bank_file_line') AND to_status <> 'issued' ORDER BY machine"
    )
    assert rows(database_url, history) == [
        ("bank_file_line", "open", "received", "chloe", f"reversement {reference_of(recovery)} reçu"),
        (
            "recovery",
            "issued",
            "received",
            "chloe",
            "reçu le 2026-01-19 (relevé bancaire, ligne rapprochée par un agent)",
        ),
    ]
    # The same decision again changes nothing; another one is refused, saying what was decided.
    assert (
        resolve(feed, credit["id"], {"recovery_id": recovery["id"]}, 200)["resolved_at"]
        == received["resolved_at"]
    )
    assert len(rows(database_url, history)) == 2
    refused = resolve(feed, credit["id"], {"dismissed_reason": "not_ours"}, 409)
    assert refused["message"] == (
        f"Ligne déjà traitée le {received['resolved_at'][:10]} par chloe : "
        f"reversement {reference_of(recovery)} reçu."
    )
    # The recovery is received: no other line pays it.
    refused = resolve(feed, small["id"], {"recovery_id": recovery["id"]}, 409)
    assert refused["message"] == "Reversement reçu : seul un reversement émis peut être reçu."
    # Only finance decides (never admin, R3); an auditor reads.
    feed.call(
        "POST",
        f"/bank-statements/lines/{small['id']}/resolve",
        403,
        {"dismissed_reason": "refund"},
        role="admin",
    )

    dismissed = resolve(
        feed, small["id"], {"dismissed_reason": "refund", "comment": "Trop-perçu de la CAF"}, 200, sub="bruno"
    )
    resolve(feed, debit["id"], {"dismissed_reason": "not_ours"}, 200)
    assert (dismissed["dismissed_reason"], dismissed["resolution_comment"], dismissed["resolved_by"]) == (
        "refund",
        "Trop-perçu de la CAF",
        "bruno",
    )
    assert rows(
        database_url,
        "SELECT actor, reason FROM status_changes "
        "WHERE machine = 'bank_file_line' AND to_status = 'dismissed' ORDER BY reason",
    ) == [
        ("chloe", "écartée : ne concerne pas le programme"),
        ("bruno", "écartée : remboursement — Trop-perçu de la CAF"),
    ]
    assert work_list(feed, "status=open") == ([], 0)
    # The month's statement repeats the three lines: nothing is applied, none is listed again.
    changes = rows(database_url, "SELECT count(*) FROM status_changes")
    month = camt054(
        [
            (True, "25000.00", "2026-01-19", None, "Reversement mairie de Saint-Flour", "BQ-1"),
            (True, "120.00", "2026-01-19", None, "Remboursement trop-percu", "BQ-2"),
            (False, "300.00", "2026-01-20", "CNUM-INCONNU", "Frais", "BQ-3"),
        ],
        message_id="BANK-NTF-3",
    )
    outcomes = [line["outcome"] for line in upload(feed, "/bank-statements", month, 201)["lines"]]
    assert outcomes == ["already_applied", "unmatched", "unmatched"]
    assert rows(database_url, "SELECT count(*) FROM status_changes") == changes
    resolved, total = work_list(feed, "status=resolved", role="auditor")
    assert total == 3
    assert [line["resolution"] for line in resolved] == ["received", "dismissed", "dismissed"]
    # The statement's own view shows the decision too.
    shown = feed.call("GET", f"/bank-statements/{credit['bank_file_id']}", 200, role="admin")
    assert shown["lines"][0]["resolution"] == "received"

    # The list as a spreadsheet: its filters, amounts as numbers, dates as dates, French words.
    response = feed.client.get(
        "/api/v1/bank-statements/unmatched-lines/export?status=resolved&booked_to=2026-01-19&format=xlsx",
        headers=bearer("auditor"),
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    exported = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [row["Identifiant"].value for row in exported] == [credit["id"], small["id"]]
    assert exported[0]["Montant"].data_type == "n" and exported[0]["Montant"].value == 25000
    assert exported[0]["Comptabilisée le"].value == datetime(2026, 1, 19)
    assert [row["Traitement"].value for row in exported] == ["reversement reçu", "écartée"]
    assert exported[1]["Motif écarté"].value == "remboursement"
    assert exported[0]["Sens"].value == "crédit"
    csv = feed.client.get(
        "/api/v1/bank-statements/unmatched-lines/export?status=resolved&format=csv", headers=bearer("finance")
    )
    assert csv.status_code == 200 and csv.get_data().decode("utf-8").count("\r\n") == 1 + 3
