"""SEPA credit transfers (pain.001.001.03) for payment runs, built with sepaxml and checked against the
XSD it ships.

Every problem of a run is found before a file is written (`check_transfers`), because a bank rejects a
whole file for one bad line, days later, and by then the officer has moved on. The checks go further than
the XSD where banks do: IBAN keys (the French RIB key included), SEPA zone, BIC shape, amounts in cents,
end-to-end ids in the EPC character set.

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
from typing import Any, TypedDict

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaxmlValidationError

from payments.adapters.bank_files import read_statement, read_status_report
from payments.domain.bank_returns import InvalidBankFile, Statement, StatusReport
from payments.domain.transfers import CreditTransfer, InvalidTransfers

SCHEMA = "pain.001.001.03"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
#: The EPC's ceiling for one SEPA credit transfer.
MAX_AMOUNT = Decimal("999999999.99")
NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
ID_LENGTH = 35
#: The characters every SEPA bank accepts (the EPC's basic Latin set).
_SEPA_UNSAFE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
#: Identifiers use the same set without the space, which some banks turn into a separator.
_SEPA_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+]+")
#: The BIC pattern of the XSD, stricter than schwifty (the 7th and 8th characters are restricted).
_XSD_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")
#: What NFKD does not decompose but has an obvious Latin spelling; everything else outside the set goes.
_TYPOGRAPHY = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "‒": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "_": "-",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "&": "+",
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
    }
)
_PARSER_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True}


class InvalidTransfer(ValueError):
    """Every problem of a run, by place (`debtor.iban`, `lines[2].creditor_iban`…), in French.

    Line indexes count from 0 in the order the transfers were given, like the errors of the API.
    """

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


class Pain001Summary(TypedDict):
    message_id: str
    number_of_transactions: int
    control_sum: Decimal
    end_to_end_ids: list[str]


def sepa_text(text: str, length: int) -> str:
    """Text the bank accepts: accents dropped ("Réunion" → "Reunion"), dashes made plain, the rest removed.

    Banks outside France may reject, or worse silently mangle, anything beyond the EPC basic Latin set.
    """
    plain = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY))
    kept = _SEPA_UNSAFE.sub("", plain.encode("ascii", "ignore").decode())
    return re.sub(r"\s+", " ", kept).strip()[:length].rstrip()


def _iban_problem(value: str) -> str | None:
    try:
        # validate_bban checks the national key too (the RIB key in France): a typo that keeps the IBAN
        # check digits right is rare, but the money would leave for a wrong account.
        iban = IBAN(value, validate_bban=True)
    except SchwiftyException:
        return "IBAN invalide (clé de contrôle ou format incorrect)."
    if not iban.in_sepa_zone:
        return "IBAN hors de la zone SEPA."
    return None


def _bic_problem(value: str) -> str | None:
    try:
        bic = BIC(value)
    except SchwiftyException:
        return "BIC invalide."
    if not _XSD_BIC.fullmatch(str(bic.compact)):
        return "BIC invalide (format refusé par le schéma SEPA)."
    return None


def _amount_problem(amount: Decimal) -> str | None:
    """In this order because comparing a NaN, or rounding a huge number, raises instead of answering."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return "Le montant doit être un nombre décimal."
    if amount <= 0:
        return "Le montant doit être positif."
    if amount > MAX_AMOUNT:
        return "Le montant dépasse le maximum d'un virement SEPA (999 999 999,99 €)."
    if amount != amount.quantize(Decimal("0.01")):
        return "Le montant a plus de deux décimales."
    return None


def _identifier_problem(value: str, what: str) -> str | None:
    """The EPC rules of identifiers: at most 35 characters of the set, no leading, trailing or double '/'."""
    if not value:
        return f"{what} vide."
    if len(value) > ID_LENGTH:
        return f"{what} trop long ({len(value)} caractères, {ID_LENGTH} au plus)."
    if not _SEPA_ID.fullmatch(value):
        return f"{what} : caractères hors du jeu SEPA (lettres sans accent, chiffres, / - ? : ( ) . , ' +)."
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return f"{what} : '/' interdit au début, à la fin ou en double."
    return None


def _problems(debtor: Debtor, transfers: Sequence[CreditTransfer]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str | None) -> None:
        if message:
            problems.setdefault(key, []).append(message)

    if not sepa_text(debtor.name, NAME_LENGTH):
        add("debtor.name", "Nom du donneur d'ordre vide une fois translittéré.")
    add("debtor.iban", _iban_problem(debtor.iban))
    add("debtor.bic", _bic_problem(debtor.bic))
    if not transfers:
        add("lines", "Aucun virement.")
    first_line: dict[str, int] = {}
    for index, transfer in enumerate(transfers):
        where = f"lines[{index}]"
        if not sepa_text(transfer.creditor_name, NAME_LENGTH):
            add(f"{where}.creditor_name", "Nom du bénéficiaire vide une fois translittéré.")
        add(f"{where}.creditor_iban", _iban_problem(transfer.creditor_iban))
        if transfer.creditor_bic:
            add(f"{where}.creditor_bic", _bic_problem(transfer.creditor_bic))
        add(f"{where}.amount", _amount_problem(transfer.amount))
        add(
            f"{where}.end_to_end_id",
            _identifier_problem(transfer.end_to_end_id, "Identifiant de bout en bout"),
        )
        first = first_line.get(transfer.end_to_end_id)
        if first is not None:
            add(f"{where}.end_to_end_id", f"Identifiant de bout en bout en double (déjà à la ligne {first}).")
        else:
            first_line[transfer.end_to_end_id] = index
        if not sepa_text(transfer.remittance, REMITTANCE_LENGTH):
            add(f"{where}.remittance", "Libellé du virement vide une fois translittéré.")
    return problems


def check_transfers(debtor: Debtor, transfers: Sequence[CreditTransfer]) -> None:
    """Every problem at once (InvalidTransfer), before anything is written: one correction round suffices."""
    problems = _problems(debtor, transfers)
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
    """The pain.001.001.03 file of the transfers (one batch, EUR), validated against the XSD.

    The message id is checked rather than truncated: the bank answers with it, and a truncated id would no
    longer find its run.
    """
    problems = _problems(debtor, transfers)
    message_problem = _identifier_problem(message_id, "Identifiant du message")
    if message_problem:
        problems["message_id"] = [message_problem]
    if problems:
        raise InvalidTransfer(problems)
    document = SepaTransfer(
        {
            "name": sepa_text(debtor.name, NAME_LENGTH),
            "IBAN": str(IBAN(debtor.iban).compact),
            "BIC": str(BIC(debtor.bic).compact),
            "batch": True,
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=False,  # sepa_text has already done it, with the EPC set rather than plain ASCII
    )
    for transfer in transfers:
        payment: dict[str, Any] = {
            "name": sepa_text(transfer.creditor_name, NAME_LENGTH),
            "IBAN": str(IBAN(transfer.creditor_iban).compact),
            "amount": int(transfer.amount * 100),  # sepaxml counts in cents; exact after _amount_problem
            "execution_date": execution_date,
            "description": sepa_text(transfer.remittance, REMITTANCE_LENGTH),
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.creditor_bic:
            payment["BIC"] = str(BIC(transfer.creditor_bic).compact)
        document.add_payment(payment)
    try:
        raw: bytes = document.export(validate=True)
    except SepaxmlValidationError as error:  # not expected once the checks above have passed
        raise InvalidTransfer(
            {"xml": [f"Fichier refusé par le schéma {SCHEMA} : {error.__cause__}"]}
        ) from error
    tree = etree.fromstring(raw, etree.XMLParser(**_PARSER_OPTIONS))
    ns = {"p": NAMESPACE}
    # sepaxml takes the message id, creation time and payment information id from the clock and random
    # numbers, with no option to pass them: set them from the run so the file is reproducible.
    tree.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", ns).text = message_id
    tree.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", ns).text = created_at.strftime("%Y-%m-%dT%H:%M:%S")
    for number, node in enumerate(tree.iterfind("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", ns), start=1):
        node.text = f"{message_id[:30]}-{number}"
    xml: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    validate_pain001(xml)
    return xml


def _schema() -> Any:
    """Built at each call (about a millisecond): an lxml validator keeps an error log, so it is not shared."""
    source = resources.files("sepaxml").joinpath("schemas", f"{SCHEMA}.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source))


def _parse(xml: bytes) -> Any:
    """Without entities or network: the file may come back from outside (a bank, an upload)."""
    try:
        return etree.fromstring(xml, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as error:
        raise InvalidTransfer({"xml": [f"XML illisible : {error}"]}) from None


def validate_pain001(xml: bytes) -> None:
    """InvalidTransfer when the file does not validate against pain.001.001.03 (the XSD sepaxml ships)."""
    document = _parse(xml)
    schema = _schema()
    if not schema.validate(document):
        raise InvalidTransfer(
            {
                "xml": [
                    f"Non conforme au schéma {SCHEMA} (ligne {entry.line}) : {entry.message}"
                    for entry in list(schema.error_log)[:20]
                ]
            }
        )


def summary(xml: bytes) -> Pain001Summary:
    """What the file says of itself (group header, end-to-end ids), to compare with the run it came from."""
    tree = _parse(xml)
    ns = {"p": NAMESPACE}
    header = tree.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    if header is None:
        raise InvalidTransfer({"xml": [f"Pas un virement {SCHEMA} : en-tête de groupe absent."]})
    return {
        "message_id": str(header.findtext("p:MsgId", namespaces=ns)),
        "number_of_transactions": int(header.findtext("p:NbOfTxs", namespaces=ns)),
        "control_sum": Decimal(header.findtext("p:CtrlSum", namespaces=ns)),
        "end_to_end_ids": [
            str(node.text)
            for node in tree.iterfind("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf/p:PmtId/p:EndToEndId", ns)
        ],
    }


class SepaFiles:
    """The bank's files of the debtor's account (settings), as the use cases ask for them
    (domain.transfers.TransferFiles): bootstrap builds it once."""

    def __init__(self, debtor: Debtor) -> None:
        self.debtor = debtor

    def check(self, transfers: Sequence[CreditTransfer]) -> None:
        try:
            check_transfers(self.debtor, transfers)
        except InvalidTransfer as error:
            raise InvalidTransfers(error.problems) from None

    def pain001(
        self,
        transfers: Sequence[CreditTransfer],
        *,
        message_id: str,
        execution_date: date,
        created_at: datetime,
    ) -> bytes:
        try:
            return build_pain001(
                self.debtor,
                transfers,
                message_id=message_id,
                execution_date=execution_date,
                created_at=created_at,
            )
        except InvalidTransfer as error:
            raise InvalidTransfers(error.problems) from None

    def status_report(self, xml: bytes) -> StatusReport:
        return read_status_report(xml)

    def statement(self, xml: bytes) -> Statement:
        """A statement of the debtor's account; another account's is refused (its lines are not ours)."""
        statement = read_statement(xml)
        if statement.account_iban is not None and statement.account_iban != str(
            IBAN(self.debtor.iban).compact
        ):
            raise InvalidBankFile(
                [f"Relevé du compte {statement.account_iban}, qui n'est pas le compte payeur du programme."]
            )
        return statement
