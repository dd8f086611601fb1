"""The bank's files as the bank would send them, built here with lxml element builders following ISO
20022's structure and validated against the message's XSD before use (decision 0027), and the steps of a
payment run of cnum's own that they answer."""

from __future__ import annotations

import io

from lxml import etree
from lxml.builder import ElementMaker
from sqlalchemy import text

from cnum_shared.framework.db import create_database_engine
from cnum_shared.testing import bearer
from payments.adapters.bank_files import schema
from payments.adapters.sepa import summary

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


def pain002(
    original_message_id,
    transactions,
    *,
    message_id="BANK-PSR-1",
    group_status="PART",
    group_reason=None,
    information_status=None,
    information_reason=None,
):
    """A CustomerPaymentStatusReportV03: GrpHdr, OrgnlGrpInfAndSts (GrpSts, StsRsnInf), then one
    OrgnlPmtInfAndSts (PmtInfSts, StsRsnInf) with a TxInfAndSts (OrgnlEndToEndId, TxSts,
    StsRsnInf/Rsn/Cd) for each (end_to_end_id, status, reason). A reason is a code, or (code, words) for
    StsRsnInf/AddtlInf. The payment information answered is the run's only one (its pain.001's
    PmtInfId is the message id's first 30 characters and "-1")."""
    e = ElementMaker(
        namespace="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03",
        nsmap={None: "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"},
    )

    def reason_of(reason):
        code, words = reason if isinstance(reason, tuple) else (reason, None)
        return [e.StsRsnInf(e.Rsn(e.Cd(code)), *([e.AddtlInf(words)] if words else []))]

    details = []
    for number, (end_to_end_id, status, reason) in enumerate(transactions, start=1):
        parts = [e.StsId(f"STS-{number}"), e.OrgnlEndToEndId(end_to_end_id), e.TxSts(status)]
        if reason:
            parts.extend(reason_of(reason))
        details.append(e.TxInfAndSts(*parts))
    group = [e.OrgnlMsgId(original_message_id), e.OrgnlMsgNmId("pain.001.001.03")]
    if group_status:
        group.append(e.GrpSts(group_status))
    if group_reason:
        group.extend(reason_of(group_reason))
    information = [e.OrgnlPmtInfId(f"{original_message_id[:30]}-1")]
    if information_status:
        information.append(e.PmtInfSts(information_status))
    if information_reason:
        information.extend(reason_of(information_reason))
    document = e.Document(
        e.CstmrPmtStsRpt(
            e.GrpHdr(
                e.MsgId(message_id), e.CreDtTm("2026-01-17T08:00:00"), e.InitgPty(e.Nm("Banque de France"))
            ),
            e.OrgnlGrpInfAndSts(*group),
            e.OrgnlPmtInfAndSts(*information, *details),
        )
    )
    return valid(document, "pain.002.001.03")


def camt054(entries, *, message_id="BANK-NTF-1", iban=DEBTOR_IBAN):
    """A BankToCustomerDebitCreditNotificationV02: GrpHdr, one Ntfctn of the account, and one Ntry per
    (credit, amount, booking_date, end_to_end_id, remittance[, bank reference]), with
    NtryDtls/TxDtls/Refs (AcctSvcrRef, REF-<rank> unless given; EndToEndId) and RmtInf/Ustrd."""
    e = ElementMaker(
        namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02",
        nsmap={None: "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"},
    )
    notes = []
    for number, entry in enumerate(entries, start=1):
        credit, amount, booked_on, end_to_end_id, remittance = entry[:5]
        reference = entry[5] if len(entry) > 5 else f"REF-{number}"
        transaction = [e.Refs(e.AcctSvcrRef(reference), e.EndToEndId(end_to_end_id or "NOTPROVIDED"))]
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
