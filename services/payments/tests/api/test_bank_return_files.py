"""The bank's return files against a payment run of cnum's own: the run is made, exported and its pain.001
read back; the bank's pain.002 and camt.054 are built here with lxml element builders following ISO
20022's structure, validated against the message's XSD before use, and imported (decision 0027)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from .bank_messages import camt054, exported_run, pain002, rows, upload
from .conftest import STRUCTURES


def test_a_status_report_returns_the_rejected_transfer_once(feed, two_approved, database_url):
    rejected, kept = two_approved[0]["id"], two_approved[1]["id"]
    run, message_id, end_to_end = exported_run(feed, "run-psr")
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe")
    report = pain002(
        message_id,
        [
            (end_to_end[rejected], "RJCT", "AC04"),
            (end_to_end[kept], "ACCP", None),
            ("CNUM-INCONNU", "RJCT", "AC01"),
        ],
    )

    first = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 201)

    assert [line["outcome"] for line in first["lines"]] == ["applied", "matched", "unmatched"]
    assert [line["end_to_end_id"] for line in first["unmatched"]] == ["CNUM-INCONNU"]
    assert first["sha256"] == hashlib.sha256(report).hexdigest()
    assert feed.call("GET", f"/tranches/{rejected}", 200)["status"] == "approved"
    assert feed.call("GET", f"/tranches/{kept}", 200)["status"] == "paid"
    # AC04 is "closed account" in the ISO 20022 external code list; the history names the code and it.
    assert feed.call("GET", f"/tranches/{rejected}/history", 200)[-1]["reason"] == (
        "rejet bancaire : AC04 compte clôturé"
    )
    count = "SELECT count(*) FROM tranche_history"
    history = rows(database_url, count)

    again = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 200)
    assert again["replayed"] is True and again["id"] == first["id"]
    # The same rejection in another file (another MsgId): recorded, applied nothing.
    other = upload(
        feed,
        f"/payment-runs/{run['id']}/status-report",
        pain002(message_id, [(end_to_end[rejected], "RJCT", "AC04")], message_id="BANK-PSR-2"),
        201,
    )
    assert [line["outcome"] for line in other["lines"]] == ["already_applied"]
    assert rows(database_url, count) == history
    assert rows(database_url, "SELECT status FROM payments ORDER BY status") == [("paid",), ("returned",)]


def test_a_status_report_rejecting_the_whole_file_of_an_exported_run_cancels_it_once(
    feed, two_approved, database_url
):
    run, message_id, end_to_end = exported_run(feed, "run-rjct")
    # The bank refused the file at reception (group status RJCT, no transaction listed): nothing was paid.
    report = pain002(
        message_id,
        [],
        group_status="RJCT",
        group_reason=("FF01", "Fichier non conforme au cahier des charges"),
    )

    imported = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 201)

    # Every transfer of the run is rejected with the group's reason, in the order of the run's lines.
    assert [
        (line["end_to_end_id"], line["status"], line["reason_code"], line["outcome"])
        for line in imported["lines"]
    ] == [(e2e, "RJCT", "FF01", "applied") for e2e in end_to_end.values()]
    shown = feed.call("GET", f"/payment-runs/{run['id']}", 200)
    assert shown["status"] == "cancelled"
    assert {line["status"] for line in shown["lines"]} == {"rejected"}
    # FF01 is "invalid file format" in the ISO 20022 external code list.
    reason = "rejet bancaire : FF01 format de fichier invalide (Fichier non conforme au cahier des charges)"
    for tranche in two_approved:
        assert feed.call("GET", f"/tranches/{tranche['id']}", 200)["status"] == "approved"
        assert feed.call("GET", f"/tranches/{tranche['id']}/history", 200)[-1]["reason"] == (
            f"{reason} (ordre de virement {message_id} refusé)"
        )
    assert rows(database_url, "SELECT count(*) FROM payments") == [(0,)]
    history = rows(database_url, "SELECT count(*) FROM status_changes")
    tranche_history = rows(database_url, "SELECT count(*) FROM tranche_history")

    assert upload(feed, f"/payment-runs/{run['id']}/status-report", report, 200)["replayed"] is True
    # The bank sends its refusal again in another message: recorded, applied nothing.
    again = pain002(message_id, [], group_status="RJCT", group_reason="FF01", message_id="BANK-PSR-2")
    assert {
        line["outcome"]
        for line in upload(feed, f"/payment-runs/{run['id']}/status-report", again, 201)["lines"]
    } == {"already_applied"}
    assert rows(database_url, "SELECT count(*) FROM status_changes") == history
    assert rows(database_url, "SELECT count(*) FROM tranche_history") == tranche_history
    # The tranches are free for the next run.
    rerun = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-20"},
        sub="bruno",
        headers={"Idempotency-Key": "run-rjct-2"},
    )
    assert sorted(
        line["tranche_id"] for line in feed.call("GET", f"/payment-runs/{rerun['id']}", 200)["lines"]
    ) == sorted(tranche["id"] for tranche in two_approved)


def test_a_payment_information_rejected_returns_every_transfer_of_a_confirmed_run(
    feed, two_approved, database_url
):
    run, message_id, end_to_end = exported_run(feed, "run-pmtinf")
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe")
    first, second = two_approved[0]["id"], two_approved[1]["id"]
    # The payment information is rejected as a whole (AM04); the report also lists the first transfer
    # with its own reason, which it keeps.
    report = pain002(
        message_id,
        [(end_to_end[first], "RJCT", "AC04")],
        group_status=None,
        information_status="RJCT",
        information_reason="AM04",
    )

    imported = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 201)

    by_transfer = {line["end_to_end_id"]: line for line in imported["lines"]}
    assert {e2e: (line["reason_code"], line["outcome"]) for e2e, line in by_transfer.items()} == {
        end_to_end[first]: ("AC04", "applied"),
        end_to_end[second]: ("AM04", "applied"),
    }
    assert feed.call("GET", f"/payment-runs/{run['id']}", 200)["status"] == "confirmed"
    assert feed.call("GET", f"/tranches/{first}/history", 200)[-1]["reason"] == (
        "rejet bancaire : AC04 compte clôturé"
    )
    assert feed.call("GET", f"/tranches/{second}/history", 200)[-1]["reason"] == (
        "rejet bancaire : AM04 provision insuffisante"
    )
    assert rows(database_url, "SELECT status FROM payments") == [("returned",), ("returned",)]
    # Each returned tranche told the conventions service once.
    returned = "SELECT count(*) FROM outbox_events WHERE type = 'tranche.returned'"
    assert rows(database_url, returned) == [(2,)]

    # Then the same rejection transfer by transfer (PART), in another message: nothing more.
    lines = pain002(
        message_id,
        [(end_to_end[first], "RJCT", "AC04"), (end_to_end[second], "RJCT", "AM04")],
        message_id="BANK-PSR-3",
    )
    outcomes = [
        line["outcome"]
        for line in upload(feed, f"/payment-runs/{run['id']}/status-report", lines, 201)["lines"]
    ]
    assert outcomes == ["already_applied", "already_applied"]
    assert rows(database_url, returned) == [(2,)]


def test_an_accepted_status_report_changes_nothing(feed, two_approved, database_url):
    run, message_id, end_to_end = exported_run(feed, "run-accp")
    history = rows(database_url, "SELECT count(*) FROM status_changes")
    for number, status in enumerate(("ACCP", "ACSC"), start=1):
        report = pain002(
            message_id,
            [(e2e, status, None) for e2e in end_to_end.values()],
            group_status=status,
            information_status=status,
            message_id=f"BANK-OK-{number}",
        )
        imported = upload(feed, f"/payment-runs/{run['id']}/status-report", report, 201)
        assert {line["outcome"] for line in imported["lines"]} == {"matched"}
        assert imported["unmatched"] == []
    assert feed.call("GET", f"/payment-runs/{run['id']}", 200)["status"] == "exported"
    assert rows(database_url, "SELECT count(*) FROM status_changes") == history
    # Nothing for an officer either.
    assert feed.call("GET", "/bank-statements/unmatched-lines", 200) == []


def test_a_status_report_of_another_run_or_off_the_schema_is_refused(feed, two_approved):
    run, message_id, end_to_end = exported_run(feed, "run-bad")
    other = pain002("CNUM-AUTRE-MESSAGE", [(next(iter(end_to_end.values())), "RJCT", "AC04")])
    refused = upload(feed, f"/payment-runs/{run['id']}/status-report", other, 422)
    assert refused["code"] == 422 and "CNUM-AUTRE-MESSAGE" in refused["message"]

    broken = pain002(message_id, [(next(iter(end_to_end.values())), "RJCT", "AC04")]).replace(
        b"<TxSts>RJCT", b"<TxSts>REJETE"
    )
    refused = upload(feed, f"/payment-runs/{run['id']}/status-report", broken, 422)
    assert refused["errors"]["file"][0].startswith("Non conforme au schéma pain.002.001.03")
    assert upload(feed, f"/payment-runs/{run['id']}/status-report", b"<pas du xml", 422)["errors"]["file"]


def test_a_notification_confirms_the_run_and_receives_a_recovery(documented_feed, database_url):
    feed = documented_feed
    structure = feed.structure("15")
    convention = feed.convention(structure, posts=2)  # Saint-Flour, 1 March 2021
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
    # Cantal, public, 2 posts at 50 000: 40 000, 40 000, 20 000. One post fewer from month 7: 50 000 × 18 ÷
    # 24 = 37 500 less, taken by tranches 2 and 3 in proportion (−25 000, −12 500): tranche 2, paid 40 000,
    # now stands at 15 000, so 25 000 is to pay back; tranche 3 is 7 500.
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    [recovery] = balance["recoveries"]
    assert (recovery["status"], recovery["recoverable"]) == ("issued", "25000.00")
    third = feed.tranches(convention)[2]
    feed.run("mark_due", date(2026, 1, 10))
    feed.standing(convention["structure_id"])
    feed.on(date(2026, 1, 10))
    feed.call("POST", f"/tranches/{third['id']}/approve", 200, {}, sub="alice")
    run, _, end_to_end = exported_run(feed, "run-camt")
    assert list(end_to_end) == [third["id"]]

    # The recovery's reference is "CNR" and its id's 32 hexadecimal digits, upper-cased (decision 0027):
    # the structure wrote it, spaced, in its transfer's remittance text.
    reference = "CNR" + recovery["id"].replace("-", "").upper()
    notification = camt054(
        [
            (False, "7500.00", "2026-01-19", end_to_end[third["id"]], "Conseiller numerique"),
            (
                True,
                "25000.00",
                "2026-01-19",
                None,
                f"Reversement {reference[:20]} {reference[20:]} Saint-Flour",
            ),
            (True, "120.00", "2026-01-19", "INCONNU-1", "Virement sans reference"),
        ]
    )

    imported = upload(feed, "/bank-statements", notification, 201)

    assert [line["outcome"] for line in imported["lines"]] == ["applied", "applied", "unmatched"]
    assert imported["confirmed_runs"] == [run["id"]]
    assert feed.call("GET", f"/payment-runs/{run['id']}", 200)["status"] == "confirmed"
    assert feed.call("GET", f"/tranches/{third['id']}", 200)["status"] == "paid"
    paid = rows(
        database_url, f"SELECT paid_on, amount FROM payments WHERE reference = '{end_to_end[third['id']]}'"
    )
    # Paid on the booking date of the transfer's debit (SQLite answers text, PostgreSQL typed values).
    assert [(str(on), f"{Decimal(str(amount)):.2f}") for on, amount in paid] == [("2026-01-19", "7500.00")]
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert [r["status"] for r in balance["recoveries"]] == ["received"]
    assert rows(
        database_url,
        "SELECT from_status, to_status, actor, reason FROM status_changes "
        "WHERE machine = 'recovery' AND to_status = 'received'",
    ) == [("issued", "received", "chloe", "reçu le 2026-01-19 (relevé bancaire)")]

    shown = feed.call("GET", f"/bank-statements/{imported['id']}", 200, role="auditor")
    assert [(line["amount"], line["end_to_end_id"]) for line in shown["unmatched"]] == [
        ("120.00", "INCONNU-1")
    ]
    assert shown["lines"][1]["recovery_id"] == recovery["id"]

    changes = "SELECT count(*) FROM status_changes"
    before = rows(database_url, changes)
    assert upload(feed, "/bank-statements", notification, 200)["replayed"] is True
    # The same lines in the next day's notification: matched, applied nothing.
    repeated = camt054(
        [
            (False, "7500.00", "2026-01-19", end_to_end[third["id"]], None),
            (True, "25000.00", "2026-01-19", reference, None),
        ],
        message_id="BANK-NTF-2",
    )
    assert [line["outcome"] for line in upload(feed, "/bank-statements", repeated, 201)["lines"]] == [
        "already_applied",
        "already_applied",
    ]
    assert rows(database_url, changes) == before
    assert len(rows(database_url, "SELECT id FROM payments WHERE status = 'paid'")) == 3


def test_a_statement_of_another_account_is_refused(feed):
    other = camt054([(True, "10.00", "2026-01-19", "X", None)], iban=STRUCTURES["974"]["iban"])
    refused = upload(feed, "/bank-statements", other, 422)
    assert "pas le compte payeur" in refused["message"]
    assert feed.call("GET", "/bank-statements/00000000-0000-0000-0000-000000000000", 404)["code"] == 404


def test_the_same_statement_imported_twice_at_the_same_moment_is_one_import(feed, monkeypatch):
    """Two officers upload the same file at once: both checks for an earlier import find none, one write
    wins the unique SHA-256, the other answers that import (200, replayed) instead of a 500."""
    from payments.service_layer import bank_returns

    notification = camt054([(True, "10.00", "2026-01-19", "INCONNU-2", "Virement sans reference")])
    first = upload(feed, "/bank-statements", notification, 201)
    # The second request's check ran before the first committed: it saw no earlier import.
    monkeypatch.setattr(bank_returns, "_replay", _unseen_once(bank_returns._replay))

    second = upload(feed, "/bank-statements", notification, 200)

    assert (second["id"], second["replayed"]) == (first["id"], True)
    assert len(feed.call("GET", "/bank-statements/unmatched-lines", 200)) == 1


def _unseen_once(replay):
    calls = []

    def check(uow, digest):
        calls.append(digest)
        return None if len(calls) == 1 else replay(uow, digest)

    return check
