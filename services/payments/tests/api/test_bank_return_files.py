"""The bank's return files against a payment run of cnum's own: the run is made, exported and its pain.001
read back; the bank's pain.002 and camt.054 are built here with lxml element builders following ISO
20022's structure, validated against the message's XSD before use, and imported (decision 0027)."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker
from sqlalchemy import text

from cnum_shared.framework.db import create_database_engine
from cnum_shared.testing import bearer
from payments.adapters.bank_files import schema
from payments.adapters.sepa import summary

from .conftest import STRUCTURES

# The debtor account of the payments settings' defaults (PAYMENTS_DEBTOR_IBAN): the programme's account.
DEBTOR_IBAN = "FR7640031000010000001234555"


def rows(url, query):
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def valid(document, message):
    """The document's bytes, once it validates against the message's ISO 20022 schema."""
    validator = schema(message)
    assert validator.validate(document), list(validator.error_log)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def pain002(original_message_id, transactions, *, message_id="BANK-PSR-1"):
    """A CustomerPaymentStatusReportV03: GrpHdr, OrgnlGrpInfAndSts, then one OrgnlPmtInfAndSts with a
    TxInfAndSts (OrgnlEndToEndId, TxSts, StsRsnInf/Rsn/Cd) for each (end_to_end_id, status, reason)."""
    e = ElementMaker(
        namespace="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03",
        nsmap={None: "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"},
    )
    details = []
    for number, (end_to_end_id, status, reason) in enumerate(transactions, start=1):
        parts = [e.StsId(f"STS-{number}"), e.OrgnlEndToEndId(end_to_end_id), e.TxSts(status)]
        if reason:
            parts.append(e.StsRsnInf(e.Rsn(e.Cd(reason))))
        details.append(e.TxInfAndSts(*parts))
    document = e.Document(
        e.CstmrPmtStsRpt(
            e.GrpHdr(
                e.MsgId(message_id), e.CreDtTm("2026-01-17T08:00:00"), e.InitgPty(e.Nm("Banque de France"))
            ),
            e.OrgnlGrpInfAndSts(
                e.OrgnlMsgId(original_message_id), e.OrgnlMsgNmId("pain.001.001.03"), e.GrpSts("PART")
            ),
            e.OrgnlPmtInfAndSts(e.OrgnlPmtInfId(f"{original_message_id[:30]}-1"), *details),
        )
    )
    return valid(document, "pain.002.001.03")


def camt054(entries, *, message_id="BANK-NTF-1", iban=DEBTOR_IBAN):
    """A BankToCustomerDebitCreditNotificationV02: GrpHdr, one Ntfctn of the account, and one Ntry per
    (credit, amount, booking_date, end_to_end_id, remittance), with NtryDtls/TxDtls/Refs/EndToEndId and
    RmtInf/Ustrd."""
    e = ElementMaker(
        namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02",
        nsmap={None: "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"},
    )
    notes = []
    for number, (credit, amount, booked_on, end_to_end_id, remittance) in enumerate(entries, start=1):
        transaction = [e.Refs(e.AcctSvcrRef(f"REF-{number}"), e.EndToEndId(end_to_end_id or "NOTPROVIDED"))]
        transaction.append(e.AmtDtls(e.TxAmt(e.Amt(amount, Ccy="EUR"))))
        if remittance:
            transaction.append(e.RmtInf(e.Ustrd(remittance)))
        notes.append(
            e.Ntry(
                e.Amt(amount, Ccy="EUR"),
                e.CdtDbtInd("CRDT" if credit else "DBIT"),
                e.Sts("BOOK"),
                e.BookgDt(e.Dt(booked_on)),
                e.ValDt(e.Dt(booked_on)),
                e.BkTxCd(
                    e.Domn(e.Cd("PMNT"), e.Fmly(e.Cd("RCDT" if credit else "ICDT"), e.SubFmlyCd("ESCT")))
                ),
                e.NtryDtls(e.TxDtls(*transaction)),
            )
        )
    document = e.Document(
        e.BkToCstmrDbtCdtNtfctn(
            e.GrpHdr(e.MsgId(message_id), e.CreDtTm("2026-01-20T06:00:00")),
            e.Ntfctn(
                e.Id(f"{message_id}-1"),
                e.CreDtTm("2026-01-20T06:00:00"),
                e.Acct(e.Id(e.IBAN(iban))),
                *notes,
            ),
        )
    )
    return valid(document, "camt.054.001.02")


def upload(feed, path, content, expected, sub="chloe"):
    response = feed.client.post(
        f"/api/v1{path}",
        data={"file": (io.BytesIO(content), "retour.xml")},
        content_type="multipart/form-data",
        headers=bearer("finance", sub=sub),
    )
    assert response.status_code == expected, response.get_json()
    return response.get_json()


def exported_run(feed, key):
    """A run made by bruno and exported; its pain.001 read back: its MsgId and the end-to-end id of each
    tranche, in the order of the run's lines."""
    run = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-15"},
        sub="bruno",
        headers={"Idempotency-Key": key},
    )
    response = feed.client.get(
        f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno")
    )
    assert response.status_code == 200
    pain001 = summary(response.data)
    lines = feed.call("GET", f"/payment-runs/{run['id']}", 200)["lines"]
    assert [line["end_to_end_id"] for line in lines] == pain001["end_to_end_ids"]
    return run, pain001["message_id"], {line["tranche_id"]: line["end_to_end_id"] for line in lines}


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
