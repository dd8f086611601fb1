"""The bank's return files read with lxml and checked against their ISO 20022 schema: the payment status
report pain.002.001.03, the statement camt.053.001.02 and the debit/credit notification camt.054.001.02.

The schemas are vendored beside this module (iso20022/SOURCES.md says where from). The parser resolves
no entity, reads no DTD and reaches no network: the file comes from outside. No maintained parser of
these messages could be depended on (decision 0027), and a schema-valid file leaves little to parse: the
few paths below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from payments.domain.bank_returns import (
    BankFileKind,
    InvalidBankFile,
    PaymentInformationStatus,
    Statement,
    StatementEntry,
    StatusReport,
    TransactionStatus,
)

PAIN002 = "pain.002.001.03"
CAMT053 = "camt.053.001.02"
CAMT054 = "camt.054.001.02"
_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"
#: A statement of a month of ~2,800 transfers is about 5 MB; beyond this size the file is refused unread.
MAX_BYTES = 20 * 1024 * 1024
#: The schema errors a refusal names (a broken file may have thousands).
MAX_PROBLEMS = 10


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


@cache
def _schema_source(name: str) -> bytes:
    return resources.files("payments.adapters").joinpath("iso20022", f"{name}.xsd").read_bytes()


def schema(name: str) -> Any:
    """A validator of the message (a new one each call: lxml keeps its error log on it)."""
    return etree.XMLSchema(etree.fromstring(_schema_source(name), _parser()))


def _parse(xml: bytes) -> Any:
    if len(xml) > MAX_BYTES:
        raise InvalidBankFile([f"Fichier trop volumineux : {MAX_BYTES // (1024 * 1024)} Mo au plus."])
    if b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml:
        raise InvalidBankFile(["Fichier refusé : déclaration DOCTYPE ou ENTITY interdite."])
    try:
        return etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        raise InvalidBankFile([f"XML illisible : {error}"]) from None


def _validated(xml: bytes, expected: tuple[str, ...]) -> tuple[Any, str]:
    """The document and its message name, once it validates against that message's schema."""
    document = _parse(xml)
    namespace = etree.QName(document).namespace or ""
    name = namespace.removeprefix(_NAMESPACE)
    if not namespace.startswith(_NAMESPACE) or name not in expected:
        raise InvalidBankFile(
            [f"Message attendu : {' ou '.join(expected)} ; reçu : espace de noms « {namespace or 'aucun'} »."]
        )
    validator = schema(name)
    if not validator.validate(document):
        raise InvalidBankFile(
            [
                f"Non conforme au schéma {name} (ligne {entry.line}) : {entry.message}"
                for entry in list(validator.error_log)[:MAX_PROBLEMS]
            ]
        )
    return document, name


def _text(node: Any, path: str, ns: dict[str, str]) -> str | None:
    found = node.findtext(path, namespaces=ns)
    return found.strip() if found is not None and found.strip() else None


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:  # the schema's decimal type makes this unreachable
        return None


def _reason(node: Any, ns: dict[str, str]) -> tuple[str | None, str | None]:
    """The bank's reason of a status (`StsRsnInf`): its code (ISO or proprietary) and its words."""
    code = _text(node, "p:StsRsnInf/p:Rsn/p:Cd", ns) or _text(node, "p:StsRsnInf/p:Rsn/p:Prtry", ns)
    words = " ".join(
        text.strip() for text in node.xpath("p:StsRsnInf/p:AddtlInf/text()", namespaces=ns) if text.strip()
    )
    return code, words or None


def read_status_report(xml: bytes) -> StatusReport:
    """A pain.002.001.03: the pain.001 it answers, the status of the group and of each payment information
    (with the bank's reason), and the status of each transaction it reports."""
    document, name = _validated(xml, (PAIN002,))
    ns = {"p": _NAMESPACE + name}
    report = document.find("p:CstmrPmtStsRpt", ns)
    original = report.find("p:OrgnlGrpInfAndSts", ns)
    transactions = [
        TransactionStatus(
            end_to_end_id=_text(transaction, "p:OrgnlEndToEndId", ns),
            status=_text(transaction, "p:TxSts", ns),
            reason_code=_reason(transaction, ns)[0],
            reason_text=_reason(transaction, ns)[1],
            amount=_amount(_text(transaction, "p:OrgnlTxRef/p:Amt/p:InstdAmt", ns)),
        )
        for transaction in report.iterfind("p:OrgnlPmtInfAndSts/p:TxInfAndSts", ns)
    ]
    informations = [
        PaymentInformationStatus(
            payment_information_id=_text(information, "p:OrgnlPmtInfId", ns),
            status=_text(information, "p:PmtInfSts", ns),
            reason_code=_reason(information, ns)[0],
            reason_text=_reason(information, ns)[1],
        )
        for information in report.iterfind("p:OrgnlPmtInfAndSts", ns)
    ]
    group_reason_code, group_reason_text = _reason(original, ns)
    return StatusReport(
        message_id=str(_text(report, "p:GrpHdr/p:MsgId", ns)),
        original_message_id=str(_text(original, "p:OrgnlMsgId", ns)),
        group_status=_text(original, "p:GrpSts", ns),
        transactions=tuple(transactions),
        group_reason_code=group_reason_code,
        group_reason_text=group_reason_text,
        payment_informations=tuple(informations),
    )


def _booking_date(entry: Any, ns: dict[str, str]) -> date | None:
    raw = _text(entry, "p:BookgDt/p:Dt", ns) or _text(entry, "p:BookgDt/p:DtTm", ns)
    return date.fromisoformat(raw[:10]) if raw else None


def _transaction_amount(transaction: Any, entry: Any, alone: bool, ns: dict[str, str]) -> Any:
    """The amount of one transaction: its own when the bank gives it; the entry's when it is the entry's
    only transaction; none when a batch booking lists its transfers without their amounts."""
    for path in ("p:AmtDtls/p:TxAmt/p:Amt", "p:AmtDtls/p:InstdAmt/p:Amt"):
        node = transaction.find(path, ns)
        if node is not None:
            return node
    return entry.find("p:Amt", ns) if alone else None


def read_statement(xml: bytes) -> Statement:
    """A camt.053.001.02 or camt.054.001.02: each transaction of each entry, with its end-to-end id and
    remittance text (an entry without transaction details counts as one transaction)."""
    document, name = _validated(xml, (CAMT054, CAMT053))
    ns = {"p": _NAMESPACE + name}
    if name == CAMT054:
        message, report_tag, kind = (
            document.find("p:BkToCstmrDbtCdtNtfctn", ns),
            "p:Ntfctn",
            BankFileKind.NOTIFICATION,
        )
    else:
        message, report_tag, kind = document.find("p:BkToCstmrStmt", ns), "p:Stmt", BankFileKind.STATEMENT
    entries: list[StatementEntry] = []
    ibans: list[str] = []
    for report in message.iterfind(report_tag, ns):
        iban = _text(report, "p:Acct/p:Id/p:IBAN", ns)
        if iban and iban not in ibans:
            ibans.append(iban)
        for entry in report.iterfind("p:Ntry", ns):
            credit = _text(entry, "p:CdtDbtInd", ns) == "CRDT"
            status = str(_text(entry, "p:Sts", ns))
            booked_on = _booking_date(entry, ns)
            details = entry.findall("p:NtryDtls/p:TxDtls", ns)
            for transaction in details or [entry]:
                amount = _transaction_amount(transaction, entry, len(details) <= 1, ns)
                remittance = " ".join(
                    text.strip()
                    for text in transaction.xpath("p:RmtInf/p:Ustrd/text()", namespaces=ns)
                    if text.strip()
                )
                entries.append(
                    StatementEntry(
                        credit=credit,
                        amount=_amount(amount.text) if amount is not None else None,
                        currency=amount.get("Ccy") if amount is not None else None,
                        booking_date=booked_on,
                        status=status,
                        end_to_end_id=_text(transaction, "p:Refs/p:EndToEndId", ns) if details else None,
                        remittance=remittance or (_text(entry, "p:AddtlNtryInf", ns) or ""),
                        bank_reference=_text(transaction, "p:Refs/p:AcctSvcrRef", ns)
                        or _text(entry, "p:AcctSvcrRef", ns),
                    )
                )
    if len(ibans) > 1:
        raise InvalidBankFile(
            [f"Un relevé d'un seul compte est attendu ; ce fichier en couvre {len(ibans)}."]
        )
    return Statement(
        kind=kind,
        message_id=str(_text(message, "p:GrpHdr/p:MsgId", ns)),
        account_iban=ibans[0] if ibans else None,
        entries=tuple(entries),
    )
