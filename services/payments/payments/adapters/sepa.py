"""SEPA credit transfers (pain.001.001.03) for payment runs, built with sepaxml and checked against the
XSD it ships.

The file is deterministic: the same run gives the same bytes (message id, creation time and payment
information id are set from the run, not from the clock or a random id), so the file a finance officer
downloads again is the one the bank received.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

SCHEMA = "pain.001.001.03"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
MAX_AMOUNT = Decimal("999999999.99")
#: The characters every SEPA bank accepts (the EPC's basic Latin set).
_SEPA_UNSAFE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_END_TO_END = re.compile(r"^[A-Za-z0-9/\-?:().,'+]{1,35}$")


class InvalidTransfer(ValueError):
    """Every problem of a run, by place (`debtor.iban`, `lines[2].creditor_iban`…), in French."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class CreditTransfer:
    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None
    amount: Decimal
    remittance: str


def sepa_text(text: str, length: int) -> str:
    """Text the bank accepts: accents dropped ("Réunion" → "Reunion"), dashes made plain, the rest removed."""
    plain = unicodedata.normalize("NFKD", text.replace("—", "-").replace("–", "-").replace("’", "'"))
    ascii_only = plain.encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", _SEPA_UNSAFE.sub("", ascii_only)).strip()[:length]


def _iban_problem(value: str) -> str | None:
    try:
        IBAN(value)
    except SchwiftyException:
        return "IBAN invalide (clé de contrôle ou format incorrect)."
    return None


def _bic_problem(value: str) -> str | None:
    try:
        BIC(value)
    except SchwiftyException:
        return "BIC invalide."
    return None


def check_transfers(debtor: Debtor, transfers: Sequence[CreditTransfer]) -> None:
    """Every problem at once (InvalidTransfer), before anything is written."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str | None) -> None:
        if message:
            problems.setdefault(key, []).append(message)

    add("debtor.iban", _iban_problem(debtor.iban))
    add("debtor.bic", _bic_problem(debtor.bic))
    if not transfers:
        add("lines", "Aucun virement.")
    seen: set[str] = set()
    for index, transfer in enumerate(transfers):
        where = f"lines[{index}]"
        add(f"{where}.creditor_iban", _iban_problem(transfer.creditor_iban))
        if transfer.creditor_bic:
            add(f"{where}.creditor_bic", _bic_problem(transfer.creditor_bic))
        amount = transfer.amount
        if amount <= 0:
            add(f"{where}.amount", "Le montant doit être positif.")
        elif amount != amount.quantize(Decimal("0.01")):
            add(f"{where}.amount", "Le montant a plus de deux décimales.")
        elif amount > MAX_AMOUNT:
            add(f"{where}.amount", "Le montant dépasse le maximum d'un virement SEPA.")
        if not _END_TO_END.match(transfer.end_to_end_id):
            add(
                f"{where}.end_to_end_id", "Identifiant de bout en bout invalide (35 caractères SEPA au plus)."
            )
        elif transfer.end_to_end_id in seen:
            add(f"{where}.end_to_end_id", "Identifiant de bout en bout en double.")
        seen.add(transfer.end_to_end_id)
        if not sepa_text(transfer.creditor_name, 70):
            add(f"{where}.creditor_name", "Nom du bénéficiaire vide une fois translittéré.")
    if problems:
        raise InvalidTransfer(problems)


def build_pain001(
    debtor: Debtor,
    transfers: Sequence[CreditTransfer],
    *,
    message_id: str,
    execution_date: date,
    created_at: datetime,
) -> bytes:
    """The pain.001.001.03 file of the transfers, validated against the XSD."""
    check_transfers(debtor, transfers)
    document = SepaTransfer(
        {
            "name": sepa_text(debtor.name, 70),
            "IBAN": str(IBAN(debtor.iban).compact),
            "BIC": str(BIC(debtor.bic)),
            "batch": True,
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=True,
    )
    for transfer in transfers:
        payment: dict[str, Any] = {
            "name": sepa_text(transfer.creditor_name, 70),
            "IBAN": str(IBAN(transfer.creditor_iban).compact),
            "amount": int(transfer.amount * 100),  # sepaxml counts in cents
            "execution_date": execution_date,
            "description": sepa_text(transfer.remittance, 140) or "Conseiller numerique",
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.creditor_bic:
            payment["BIC"] = str(BIC(transfer.creditor_bic))
        document.add_payment(payment)
    raw = document.export(validate=False)
    tree = etree.fromstring(raw)
    ns = {"p": NAMESPACE}
    # sepaxml takes the message id, creation time and payment information id from the clock and random
    # numbers: set them from the run so the file is reproducible.
    tree.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", ns).text = message_id[:35]
    tree.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", ns).text = created_at.strftime("%Y-%m-%dT%H:%M:%S")
    for number, node in enumerate(tree.iterfind("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", ns), start=1):
        node.text = f"{message_id[:30]}-{number}"
    xml: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    validate_pain001(xml)
    return xml


def _schema() -> etree.XMLSchema:
    source = resources.files("sepaxml").joinpath("schemas", f"{SCHEMA}.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source))


def validate_pain001(xml: bytes) -> None:
    """InvalidTransfer when the file does not validate against pain.001.001.03."""
    schema = _schema()
    try:
        document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise InvalidTransfer({"xml": [f"XML illisible : {error}"]}) from None
    if not schema.validate(document):
        raise InvalidTransfer({"xml": [str(entry.message) for entry in schema.error_log][:20]})


def summary(xml: bytes) -> dict[str, Any]:
    """What the file says: message id, number of transactions, control sum, end-to-end ids."""
    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"p": NAMESPACE}
    header = tree.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    return {
        "message_id": header.findtext("p:MsgId", namespaces=ns),
        "number_of_transactions": int(header.findtext("p:NbOfTxs", namespaces=ns)),
        "control_sum": Decimal(header.findtext("p:CtrlSum", namespaces=ns)),
        "end_to_end_ids": [node.text for node in tree.iterfind(".//p:PmtId/p:EndToEndId", ns)],
    }
