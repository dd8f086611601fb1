"""The final statement and the recovery order state payments' figures as they are, in French, in the
edition of their legal date (decision 0033). The figures of each case are worked out in the test."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cnum_shared.core.parameters import parameters
from conventions.service_layer.documents.content import law_data
from services.conventions.tests.unit.test_document_editions import a_structure, rendered_text

TREE = parameters()
D = Decimal


def a_convention() -> dict:
    # An initial-wave convention of 2 posts, 24 months from 1 March 2021: 50 000 € a post in the
    # mainland (DESIGN §3), 50 000 ÷ 24 = 2 083,33 € a month.
    return {
        "reference": "CN-2021-000042",
        "wave": "initial",
        "posts": 2,
        "start_date": date(2021, 3, 1),
        "end_date": date(2023, 2, 28),
        "duration_months": 24,
        "funded_months": 24,
        "amount_per_post": D("50000.00"),
        "total_amount": D("100000.00"),
        "signed_on": date(2021, 3, 15),
        "bonus_zones": "QPV ou ZRR",
        "bonus_zones_label": (
            "quartier prioritaire de la politique de la ville (QPV) ou zone de revitalisation rurale (ZRR)"
        ),
        "renewal_bonus": False,
        "yearly_amounts": [],
        "yearly_bonuses": [],
    }


PERIODS = [
    {
        "number": 1,
        "starts_on": date(2021, 3, 1),
        "ends_on": date(2023, 2, 28),
        "months": 24,
        "amount_per_post": D("50000.00"),
        "monthly_rate": D("2083.33"),
    }
]


def a_statement(
    closed_on: date, *, earned: Decimal, paid: Decimal, in_payment: Decimal | None = None
) -> dict:
    """The statement of a 2-post convention as payments would settle it: the balance, what is in
    payment, what closing books (decision 0030: to_settle = balance − in_payment + claimed)."""
    balance = earned - paid
    in_payment = in_payment if in_payment is not None else D("0.00")
    claimed = D("0.00")
    to_settle = balance - in_payment + claimed
    settlement = (
        ("payment", to_settle)
        if to_settle > 0
        else ("recovery", -to_settle)
        if to_settle < 0
        else ("none", None)
    )
    # Post 1: a CDD of 24 months (24 × 50 000 ÷ 24 = 50 000); post 2 as the case says.
    post_two = earned - D("50000.00")
    return {
        "_legal_date": closed_on,
        "document": {"reference": "CN-2021-000042-DF", "generated_on": closed_on},
        "structure": a_structure(),
        "convention": a_convention(),
        "statement": {
            "closed_on": closed_on,
            "as_of": date(2023, 2, 28),
            "granted": D("100000.00"),
            "earned": earned,
            "paid": paid,
            "balance": balance,
            "to_pay": max(balance, D(0)),
            "to_recover": max(-balance, D(0)),
            "in_payment": in_payment,
            "claimed": claimed,
            "to_settle": to_settle,
            "outcome": "to_pay" if balance > 0 else "to_recover" if balance < 0 else "nil",
            "settlement_kind": settlement[0],
            "settlement_amount": settlement[1],
            "months": 24 + 10,
            "posts": 2,
        },
        "posts": [
            {
                "number": 1,
                "months": 24,
                "earned": D("50000.00"),
                "contracts": [
                    {
                        "contract_type": "cdd",
                        "occupied_from": date(2021, 3, 1),
                        "occupied_until": date(2023, 2, 28),
                        "months": 24,
                        "earned": D("50000.00"),
                    }
                ],
            },
            {
                "number": 2,
                "months": 10,
                "earned": post_two,
                "contracts": [
                    {
                        "contract_type": "cdd",
                        "occupied_from": date(2021, 4, 1),
                        "occupied_until": date(2022, 1, 15),
                        "months": 10,
                        "earned": post_two,
                    }
                ],
            },
        ],
        "funding_periods": PERIODS,
        "law": law_data(closed_on, TREE),
    }


def test_a_statement_where_the_structure_owes_says_a_reverser_with_each_post_and_the_totals():
    # Post 2 occupied 10 months (April 2021 to January 2022): 10 × 50 000 ÷ 24 = 20 833,33 €.
    # Earned 50 000 + 20 833,33 = 70 833,33; paid 80 000 (tranches of 40 000 × 2): 9 166,67 to recover.
    earned, paid = D("50000.00") + D("20833.33"), D("80000.00")
    text = rendered_text("final_statement", a_statement(date(2026, 3, 2), earned=earned, paid=paid))

    assert "Décompte final de la convention CN-2021-000042" in text
    assert "Bénéficiaire : Commune de Saint-Flour, structure publique (commune), SIRET 21150187900012" in text
    assert "La convention a été close le 2 mars 2026." in text
    assert (
        "contrat à durée déterminée (CDD) du 1er avril 2021 au 15 janvier 2022 : 10 mois, 20 833,33 €" in text
    )
    assert "Subvention acquise 70 833,33 €" in text
    assert "Sommes versées, déduction faite des reversements reçus 80 000,00 €" in text
    assert "Solde (subvention acquise − sommes versées) -9 166,67 €" in text
    assert (
        "À reverser par le Bénéficiaire : 9 166,67 € "
        "(neuf mille cent soixante-six euros et soixante-sept centimes)" in text
    )
    assert "Reste à payer" not in text
    assert "La clôture a émis un reversement de 9 166,67 €" in text
    assert "Au total, les postes ont été occupés pendant 34 mois." in text


def test_a_statement_where_the_structure_is_owed_says_reste_a_payer_and_what_closing_booked():
    # Post 2 occupied 23 months: 23 × 50 000 ÷ 24 = 47 916,67 €; earned 97 916,67; paid 80 000, of which
    # nothing is in payment: 17 916,67 € remain to pay, booked as the last payment.
    earned, paid = D("50000.00") + D("47916.67"), D("80000.00")
    text = rendered_text("final_statement", a_statement(date(2026, 3, 2), earned=earned, paid=paid))

    assert "Reste à payer au Bénéficiaire : 17 916,67 €" in text
    assert "À reverser" not in text
    assert (
        "un dernier versement de 17 916,67 €, payé par la Caisse des Dépôts sur son compte "
        "(IBAN FR76 3000 1000 0000 0000 1510 029)" in text
    )


def test_what_is_in_payment_and_claimed_is_stated_and_closing_settles_the_rest():
    # Balance 17 916,67 of which 10 000 is already approved: closing books 17 916,67 − 10 000 = 7 916,67.
    earned, paid = D("97916.67"), D("80000.00")
    data = a_statement(date(2026, 3, 2), earned=earned, paid=paid, in_payment=D("10000.00"))
    text = rendered_text("final_statement", data)

    assert "10 000,00 € étaient déjà en paiement" in text and "0,00 € déjà demandés en reversement" in text
    assert "soit 7 916,67 €" in text
    assert "un dernier versement de 7 916,67 €" in text


def an_order(issued_on: date, kind: str, **figures) -> dict:
    delay = 30  # convention.repayment_delay_days (the event's figure)
    return {
        "_legal_date": issued_on,
        "document": {"reference": "CN-2021-000042-OR-ABCDEF", "generated_on": issued_on},
        "structure": a_structure(),
        "convention": a_convention(),
        "recovery": {
            "kind": kind,
            "amount": figures["amount"],
            "issued_on": issued_on,
            "pay_by": issued_on + timedelta(days=delay),
            "repayment_delay": {"months": 0, "days": delay},
            "payment_reference": "CNR0123456789ABCDEF0123456789ABCDEF",
            "months_started": figures.get("months", 0),
            "earned": figures.get("earned"),
            "paid_per_post": figures.get("paid_per_post"),
            "contract_type": "cdd" if kind == "post_ended" else None,
            "contract_start": date(2021, 4, 1) if kind == "post_ended" else None,
            "contract_ended_on": date(2022, 1, 15) if kind == "post_ended" else None,
        },
        "computation": figures.get("computation", {}),
        "periods": figures.get("periods", []),
        "pay_to": {
            "name": "CDC - Conseiller numerique",
            "iban": "FR7640031000010000000000000",
            "bic": "CDCGFRPPXXX",
        },
        "law": law_data(issued_on, TREE),
    }


def test_an_order_for_a_post_that_ended_states_months_rate_earned_paid_and_how_to_pay():
    # 10 months × 2 083,33 = 20 833,30; the period's earnings rounded once: 10 × 50 000 ÷ 24 = 20 833,33.
    # Paid per post 80 000 ÷ 2 = 40 000: 40 000 − 20 833,33 = 19 166,67 to recover, by 30 days after issue.
    order = an_order(
        date(2026, 3, 2),
        "post_ended",
        amount=D("19166.67"),
        months=10,
        earned=D("20833.33"),
        paid_per_post=D("40000.00"),
        periods=[
            {
                "period": 1,
                "starts_on": date(2021, 3, 1),
                "ends_on": date(2023, 2, 28),
                "months": 10,
                "monthly_rate": D("2083.33"),
                "earned": D("20833.33"),
            }
        ],
    )
    text = rendered_text("recovery_order", order)

    assert "Ordre de reversement" in text
    assert "Débiteur : Commune de Saint-Flour" in text
    assert "Motif : fin d'un poste avant le terme de la période financée." in text
    assert (
        "(contrat à durée déterminée (CDD), commencé le 1er avril 2021) a pris fin le 15 janvier 2022" in text
    )
    assert "des 10 (dix) mois de la convention" in text
    assert "du 1er mars 2021 au 28 février 2023 10 2 083,33 € 20 833,33 €" in text
    assert "Sommes versées au titre du poste (versements ÷ nombre de postes) 40 000,00 €" in text
    assert (
        "la somme de 19 166,67 € (dix-neuf mille cent soixante-six euros et soixante-sept centimes)" in text
    )
    assert "IBAN FR76 4003 1000 0100 0000 0000 000" in text
    assert "BIC CDCGFRPPXXX" in text
    assert "Référence à indiquer sur le virement CNR0123456789ABCDEF0123456789ABCDEF" in text
    # 2 March 2026 + 30 days = 1 April 2026.
    assert "au plus tard le 1er avril 2026, soit trente jours après l'émission du présent ordre" in text
    assert "décompte final" not in text and "avenant signé" not in text


def test_an_order_of_a_final_statement_states_the_statement_and_one_of_a_regularisation_its_tranche():
    final = rendered_text(
        "recovery_order",
        an_order(
            date(2026, 3, 2),
            "final_statement",
            amount=D("9166.67"),
            computation={
                "as_of": date(2023, 2, 28),
                "granted": D("100000.00"),
                "earned": D("70833.33"),
                "paid": D("80000.00"),
                "balance": D("-9166.67"),
                "in_payment": D("0.00"),
                "claimed": D("0.00"),
                "to_settle": D("-9166.67"),
            },
        ),
    )
    # Tranche 2 paid 40 000, brought to 25 000 by the avenant: 15 000 less, nothing to absorb it.
    regularisation = rendered_text(
        "recovery_order",
        an_order(
            date(2026, 3, 2),
            "regularisation",
            amount=D("15000.00"),
            computation={
                "tranche": 2,
                "tranche_status": "paid",
                "signed": D("25000.00"),
                "already": D("40000.00"),
                "reduction": D("15000.00"),
            },
        ),
    )

    assert "en comptant les mois occupés jusqu'au 28 février 2023" in final
    assert "Réglé par la clôture (solde − en paiement + déjà demandé) -9 166,67 €" in final
    assert "Période financée" not in final
    assert (
        "La tranche n° 2, déjà versée, représentait 40 000,00 € ; l'avenant la ramène à 25 000,00 €, "
        "soit une "
        "réduction de 15 000,00 €" in regularisation
    )


@pytest.mark.parametrize(("issued_on", "titled"), [(date(2025, 7, 12), False), (date(2025, 7, 13), True)])
def test_the_documents_name_the_mediator_title_from_13_july_2025(issued_on, titled):
    # documents.template_edition: title_2025 from 13 July 2025 (the legal date: the closing, the issue).
    order = rendered_text(
        "recovery_order",
        an_order(
            issued_on,
            "regularisation",
            amount=D("1.00"),
            computation={
                "tranche": 1,
                "tranche_status": "paid",
                "signed": D("1.00"),
                "already": D("2.00"),
                "reduction": D("1.00"),
            },
        ),
    )
    statement = rendered_text(
        "final_statement", a_statement(issued_on, earned=D("97916.67"), paid=D("80000.00"))
    )

    for text in (order, statement):
        assert ("médiateur numérique" in text) is titled
        assert ("Depuis le 13 juillet 2025" in text) is titled
