"""The SEPA file of a payment run: valid against the XSD, exact sums, reproducible, every refusal named."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree
from schwifty import IBAN

from payments.adapters.sepa import (
    NAMESPACE,
    CreditTransfer,
    Debtor,
    InvalidTransfer,
    build_pain001,
    check_transfers,
    sepa_text,
    summary,
    validate_pain001,
)

NS = {"p": NAMESPACE}
#: A valid French IBAN (RIB key included), computed once with
#: IBAN.generate("FR", bank_code="40031", branch_code="00001", account_code="0000001234").
DEBTOR_IBAN = "FR7640031000010000000123420"
DEBTOR = Debtor("Caisse des dépôts et consignations", DEBTOR_IBAN, "CDCGFRPPXXX")
TAMPON = CreditTransfer(
    "CNUM-T1",
    "Commune du Tampon — La Réunion",
    "FR7619806000000097443000114",
    "AGRIMQMX",
    Decimal("54000.00"),
    "Conseiller numérique — tranche 1",
)
LIEN = CreditTransfer(
    "CNUM-T2",
    "Association « Lien numérique »",
    "FR7642559000001000008000124",
    "CCOPFRPP",
    Decimal("27000.01"),
    "T2",
)
FLOUR = CreditTransfer(
    "CNUM-T3", "Commune de Saint-Flour", "FR7630001000000000001510029", None, Decimal("13500.00"), "T3"
)
GOOD = CreditTransfer("CNUM-OK", "Mairie", LIEN.creditor_iban, None, Decimal("10.00"), "ok")


def build(transfers, debtor=DEBTOR, message_id="CNUM-RUN-2026-01"):
    return build_pain001(
        debtor,
        transfers,
        message_id=message_id,
        execution_date=date(2026, 1, 15),
        created_at=datetime(2026, 1, 12, 9, 30, tzinfo=UTC),
    )


def problems_of(debtor, transfers):
    with pytest.raises(InvalidTransfer) as refused:
        check_transfers(debtor, transfers)
    return refused.value.problems


def test_the_debtor_iban_of_these_tests_is_valid():
    assert str(IBAN.generate("FR", bank_code="40031", branch_code="00001", account_code="0000001234")) == (
        DEBTOR_IBAN
    )
    IBAN(DEBTOR_IBAN, validate_bban=True)


def test_a_run_becomes_a_valid_pain001_with_its_control_sum_and_one_id_per_line():
    xml = build([TAMPON, LIEN, FLOUR])

    validate_pain001(xml)
    assert summary(xml) == {
        "message_id": "CNUM-RUN-2026-01",
        "number_of_transactions": 3,
        "control_sum": Decimal("94500.01"),
        "end_to_end_ids": ["CNUM-T1", "CNUM-T2", "CNUM-T3"],
    }
    assert b"<Nm>Commune du Tampon - La Reunion</Nm>" in xml
    assert b"<Nm>Association Lien numerique</Nm>" in xml
    assert b"<Nm>Caisse des depots et consignations</Nm>" in xml
    assert b"<Ustrd>Conseiller numerique - tranche 1</Ustrd>" in xml
    assert build([TAMPON, LIEN, FLOUR]) == xml


def test_the_payment_information_carries_the_same_sums_and_the_run_dates():
    tree = etree.fromstring(build([TAMPON, LIEN, FLOUR]))
    header = tree.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    (batch,) = tree.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)

    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-01-12T09:30:00"
    assert batch.findtext("p:PmtInfId", namespaces=NS) == "CNUM-RUN-2026-01-1"
    assert batch.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert batch.findtext("p:CtrlSum", namespaces=NS) == "94500.01"
    assert batch.findtext("p:ReqdExctnDt", namespaces=NS) == "2026-01-15"
    assert batch.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR_IBAN
    amounts = [node.text for node in batch.iterfind("p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)]
    assert amounts == ["54000.00", "27000.01", "13500.00"]
    bics = [node.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS) for node in batch]
    assert bics[-3:] == ["AGRIMQMX", "CCOPFRPP", None]  # the line without BIC has no creditor agent


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("Commune du Tampon — Réunion", 70, "Commune du Tampon - Reunion"),
        ("« Cœur & Âme » d’Île-de-France", 70, "Coeur + Ame d'Ile-de-France"),
        ("Saint-Étienne   n°  12\t", 70, "Saint-Etienne n 12"),
        (
            "Association des amis de la médiathèque " * 3,
            70,
            ("Association des amis de la mediatheque " * 2)[:70],
        ),
        ("Fondation des usages numériques", 10, "Fondation"),  # no trailing space after the cut
    ],
)
def test_text_is_transliterated_to_the_sepa_set_and_cut(text, length, expected):
    assert sepa_text(text, length) == expected


def test_names_and_remittance_are_cut_at_70_and_140():
    long = CreditTransfer("CNUM-L", "É" * 100, LIEN.creditor_iban, None, Decimal("1.00"), "à" * 200)
    tree = etree.fromstring(build([long]))

    assert tree.findtext(".//p:Cdtr/p:Nm", namespaces=NS) == "E" * 70
    assert tree.findtext(".//p:Ustrd", namespaces=NS) == "a" * 140


@pytest.mark.parametrize(
    ("transfer", "key"),
    [
        (CreditTransfer("X", "X", "FR7619806000000097443000115", None, Decimal("1"), "x"), "creditor_iban"),
        (CreditTransfer("X", "X", "BR1800360305000010009795493C1", None, Decimal("1"), "x"), "creditor_iban"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, "CCOP", Decimal("1"), "x"), "creditor_bic"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, "AGRIMQ1X", Decimal("1"), "x"), "creditor_bic"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("0"), "x"), "amount"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("-5"), "x"), "amount"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("1.001"), "x"), "amount"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("1000000000.00"), "x"), "amount"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("1E+30"), "x"), "amount"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("NaN"), "x"), "amount"),
        (CreditTransfer("X" * 36, "X", LIEN.creditor_iban, None, Decimal("1"), "x"), "end_to_end_id"),
        (CreditTransfer("CNUM-É1", "X", LIEN.creditor_iban, None, Decimal("1"), "x"), "end_to_end_id"),
        (CreditTransfer("CNUM//1", "X", LIEN.creditor_iban, None, Decimal("1"), "x"), "end_to_end_id"),
        (CreditTransfer("", "X", LIEN.creditor_iban, None, Decimal("1"), "x"), "end_to_end_id"),
        (CreditTransfer("X", "« € »", LIEN.creditor_iban, None, Decimal("1"), "x"), "creditor_name"),
        (CreditTransfer("X", "X", LIEN.creditor_iban, None, Decimal("1"), "   "), "remittance"),
    ],
    ids=[
        "iban-check-digits",
        "iban-outside-sepa",
        "bic-short",
        "bic-outside-xsd",
        "amount-0",
        "amount-negative",
        "amount-3-decimals",
        "amount-above-max",
        "amount-huge",
        "amount-nan",
        "id-36-chars",
        "id-accent",
        "id-double-slash",
        "id-empty",
        "name-empty",
        "remittance-empty",
    ],
)
def test_each_bad_line_is_refused_with_its_index(transfer, key):
    problems = problems_of(DEBTOR, [GOOD, transfer])

    assert set(problems) == {f"lines[1].{key}"}
    assert all(problems[f"lines[1].{key}"])


def test_a_debtor_with_a_bad_iban_or_bic_is_refused():
    problems = problems_of(Debtor("CDC", "FR7640031000010000000123421", "CDCG"), [GOOD])

    assert set(problems) == {"debtor.iban", "debtor.bic"}


def test_an_empty_run_is_refused():
    assert problems_of(DEBTOR, []) == {"lines": ["Aucun virement."]}
    with pytest.raises(InvalidTransfer, match="Aucun virement"):
        build([])


def test_a_duplicate_end_to_end_id_names_the_first_line():
    problems = problems_of(DEBTOR, [GOOD, TAMPON, GOOD])

    assert problems == {
        "lines[2].end_to_end_id": ["Identifiant de bout en bout en double (déjà à la ligne 0)."]
    }


def test_every_problem_is_named_at_once():
    bad_iban = CreditTransfer("CNUM-X1", "X", "FR7619806000000097443000115", None, Decimal("10.00"), "x")
    zero = CreditTransfer("CNUM-X2", "Y", LIEN.creditor_iban, None, Decimal("0"), "y")
    negative = CreditTransfer("CNUM-X3", "Z", LIEN.creditor_iban, None, Decimal("-5"), "z")
    fraction = CreditTransfer("CNUM-X4", "W", LIEN.creditor_iban, None, Decimal("1.001"), "w")
    duplicate = CreditTransfer("CNUM-X4", "V", LIEN.creditor_iban, None, Decimal("1.00"), "v")

    with pytest.raises(InvalidTransfer) as refused:
        build(
            [bad_iban, zero, negative, fraction, duplicate],
            debtor=Debtor("CDC", "FR76400310000100000012345", "CDCGFRPPXXX"),
            message_id="CNUM RUN",
        )

    assert set(refused.value.problems) == {
        "message_id",
        "debtor.iban",
        "lines[0].creditor_iban",
        "lines[1].amount",
        "lines[2].amount",
        "lines[3].amount",
        "lines[4].end_to_end_id",
    }
    assert "lines[0].creditor_iban" in str(refused.value)


def test_a_message_id_is_checked_not_cut():
    with pytest.raises(InvalidTransfer) as refused:
        build([GOOD], message_id="M" * 36)

    assert set(refused.value.problems) == {"message_id"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<CtrlSum>54000.00</CtrlSum>", b"<CtrlSum>54 000,00</CtrlSum>"),
        (b"<EndToEndId>CNUM-T1</EndToEndId>", b""),
        (b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>SLEV</ChrgBr><Unknown/>"),
        (b'<InstdAmt Ccy="EUR">54000.00</InstdAmt>', b'<InstdAmt Ccy="EUR">-54000.00</InstdAmt>'),
    ],
    ids=["ctrlsum-format", "end-to-end-id-removed", "unknown-element", "negative-amount"],
)
def test_a_tampered_file_fails_the_schema(old, new):
    xml = build([TAMPON])
    assert old in xml
    tampered = xml.replace(old, new, 1)

    with pytest.raises(InvalidTransfer) as refused:
        validate_pain001(tampered)
    assert refused.value.problems["xml"][0].startswith("Non conforme au schéma pain.001.001.03")


def test_an_unreadable_or_foreign_file_is_refused():
    with pytest.raises(InvalidTransfer, match="XML illisible"):
        validate_pain001(b"<Document><oops></Document>")
    with pytest.raises(InvalidTransfer):
        validate_pain001(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.008.001.02'/>")
    with pytest.raises(InvalidTransfer):
        summary(b"<Document/>")
