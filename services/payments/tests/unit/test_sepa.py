"""The SEPA file of a payment run: valid against the XSD, exact sums, reproducible, every refusal named."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from payments.adapters.sepa import (
    CreditTransfer,
    Debtor,
    InvalidTransfer,
    build_pain001,
    summary,
    validate_pain001,
)

DEBTOR = Debtor("Caisse des dépôts et consignations", "FR7640031000010000001234555", "CDCGFRPPXXX")
TAMPON = CreditTransfer(
    "CNUM-T1",
    "Commune du Tampon — La Réunion",
    "FR7619806000000097443000114",
    "AGRIMQMX",
    Decimal("54000.00"),
    "T1",
)
LIEN = CreditTransfer(
    "CNUM-T2",
    "Association Lien numérique",
    "FR7642559000001000008000124",
    "CCOPFRPP",
    Decimal("27000.01"),
    "T2",
)
FLOUR = CreditTransfer(
    "CNUM-T3", "Commune de Saint-Flour", "FR7630001000000000001510029", None, Decimal("13500.00"), "T3"
)


def build(transfers, debtor=DEBTOR):
    return build_pain001(
        debtor,
        transfers,
        message_id="CNUM-RUN-2026-01",
        execution_date=date(2026, 1, 15),
        created_at=datetime(2026, 1, 12, 9, 30, tzinfo=UTC),
    )


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
    assert b"<Nm>Caisse des depots et consignations</Nm>" in xml
    assert build([TAMPON, LIEN, FLOUR]) == xml


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
        )

    assert set(refused.value.problems) == {
        "debtor.iban",
        "lines[0].creditor_iban",
        "lines[1].amount",
        "lines[2].amount",
        "lines[3].amount",
        "lines[4].end_to_end_id",
    }


def test_an_empty_run_is_refused():
    with pytest.raises(InvalidTransfer, match="Aucun virement"):
        build([])


def test_a_tampered_file_fails_the_schema():
    xml = build([TAMPON]).replace(b"<CtrlSum>54000.00</CtrlSum>", b"<CtrlSum>54 000,00</CtrlSum>", 1)

    with pytest.raises(InvalidTransfer):
        validate_pain001(xml)
