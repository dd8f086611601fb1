"""Which signed convention the open data publishes, and its SCDL « Subventions » 2.1.1 row (décret
n° 2017-779; decision 0029). Every figure is worked out here from DESIGN §3's amounts and the 23 000 €
threshold of décret n° 2001-495 art. 1."""

from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.core.legal import AttributingBody, FundingPeriod, Wave
from conventions.domain.open_data import (
    SCDL_FIELDS,
    Publication,
    SignedConvention,
    publication,
    scdl_row,
    yearly_amount,
)

THRESHOLD = Decimal("23000")  # décret n° 2001-495 art. 1: "dont le montant annuel dépasse 23 000 euros"
CDC = AttributingBody("Caisse des dépôts et consignations", "18002002600019")

#: DESIGN §3: a public post in metropolitan France, initial wave: 50 000 € for its 24 funded months.
INITIAL_PUBLIC = (FundingPeriod(1, 0, 24, Decimal("50000.00")),)
#: A private post, initial wave: 32 000 € for its 18 months.
INITIAL_PRIVATE = (FundingPeriod(1, 0, 18, Decimal("32000.00")),)
#: A renewal post of a public structure in a QPV or a ZRR: 20 000, 17 500 and 12 500 € by year.
RENEWAL_QPV = (
    FundingPeriod(1, 0, 12, Decimal("20000.00")),
    FundingPeriod(2, 12, 12, Decimal("17500.00")),
    FundingPeriod(3, 24, 12, Decimal("12500.00")),
)


def signed(periods, *, posts=1, initial_posts=None, identifier="21150187900012", wave=Wave.INITIAL, **more):
    per_post = sum(period.amount_per_post for period in periods)
    fields = {
        "reference": "CNUM-2021-0A1B2C3D",
        "signed_on": date(2021, 3, 15),
        "wave": wave,
        "beneficiary_name": "Commune de Saint-Flour",
        "beneficiary_identifier": identifier,
        "initial_posts": initial_posts or posts,
        "posts": posts,
        "total_amount": per_post * posts,
        "funding_periods": periods,
        "payment_dates": (date(2021, 3, 15), date(2022, 3, 1), date(2023, 3, 1)),
    }
    return SignedConvention(**{**fields, **more})


def test_a_yearly_amount_is_the_highest_rate_of_a_funded_year_for_the_posts():
    # 50 000 € over 24 months is 50 000 × 12 / 24 = 25 000 € a year; for two posts 50 000 €.
    assert yearly_amount(1, INITIAL_PUBLIC) == Decimal("25000.00")
    assert yearly_amount(2, INITIAL_PUBLIC) == Decimal("50000.00")
    # 32 000 € over 18 months is 32 000 × 12 / 18 = 21 333.33 € a year.
    assert yearly_amount(1, INITIAL_PRIVATE) == Decimal("21333.33")
    # A degressive renewal counts its largest year: 20 000 €, not the average 50 000 / 3 = 16 666.67 €.
    assert yearly_amount(1, RENEWAL_QPV) == Decimal("20000.00")
    assert yearly_amount(2, RENEWAL_QPV) == Decimal("40000.00")


@pytest.mark.parametrize(
    ("periods", "posts", "expected"),
    [
        (INITIAL_PUBLIC, 1, Publication.PUBLISHED),  # 25 000 > 23 000
        (INITIAL_PRIVATE, 1, Publication.BELOW_THRESHOLD),  # 21 333.33 ≤ 23 000
        (INITIAL_PRIVATE, 2, Publication.PUBLISHED),  # 42 666.67 > 23 000
        (RENEWAL_QPV, 1, Publication.BELOW_THRESHOLD),  # 20 000 ≤ 23 000, although 50 000 in all
        (RENEWAL_QPV, 2, Publication.PUBLISHED),  # 40 000 > 23 000
    ],
)
def test_a_convention_is_published_above_23_000_euros_a_year(periods, posts, expected):
    assert publication(signed(periods, posts=posts), THRESHOLD) is expected


def test_exactly_the_threshold_is_not_above_it():
    # 46 000 € over 24 months is 23 000 € a year: "dépasse" is strictly more.
    exactly = (FundingPeriod(1, 0, 24, Decimal("46000.00")),)
    assert publication(signed(exactly), THRESHOLD) is Publication.BELOW_THRESHOLD
    one_cent_more = (FundingPeriod(1, 0, 12, Decimal("23000.01")),)
    assert publication(signed(one_cent_more), THRESHOLD) is Publication.PUBLISHED


def test_posts_count_as_signed_or_as_amended_whichever_is_more():
    # Two private posts signed (42 666.67 € a year), one given back by an avenant: still published.
    assert publication(signed(INITIAL_PRIVATE, posts=1, initial_posts=2), THRESHOLD) is Publication.PUBLISHED
    # One signed, a second added by an avenant: published from then on.
    assert publication(signed(INITIAL_PRIVATE, posts=2, initial_posts=1), THRESHOLD) is Publication.PUBLISHED


def test_a_structure_without_a_siret_cannot_be_in_the_scdl_file():
    # A New Caledonian structure's RIDET: idBeneficiaire is a SIRET, rnaBeneficiaire an RNA number.
    assert publication(signed(INITIAL_PUBLIC, identifier="1234567.001"), THRESHOLD) is Publication.NO_SIRET


def test_the_row_of_a_public_initial_convention():
    row = dict(zip(SCDL_FIELDS, scdl_row(signed(INITIAL_PUBLIC, posts=2), CDC), strict=True))

    assert row == {
        "nomAttribuant": "Caisse des dépôts et consignations",
        "idAttribuant": "18002002600019",
        "dateConvention": "2021-03-15",
        "referenceDecision": "CNUM-2021-0A1B2C3D",
        "nomBeneficiaire": "Commune de Saint-Flour",
        "idBeneficiaire": "21150187900012",
        "rnaBeneficiaire": "",
        "objet": "Dispositif Conseiller numérique (vague initiale, France Relance) : financement en partie "
        "de la rémunération de 2 postes de conseiller numérique",
        "montant": "100000.00",  # 2 posts × 50 000 €
        "nature": "aide en numéraire",
        "conditionsVersement": "échelonné",
        "datesPeriodeVersement": "2021-03-15/2023-03-01",
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": "1.00",
        "dispositifAide": "",
    }


def test_a_single_payment_is_one_date():
    once = signed(INITIAL_PUBLIC, payment_dates=(date(2021, 3, 15),))
    row = dict(zip(SCDL_FIELDS, scdl_row(once, CDC), strict=True))
    assert (row["conditionsVersement"], row["datesPeriodeVersement"]) == ("unique", "2021-03-15")


def test_a_renewal_says_so_in_its_object():
    row = dict(zip(SCDL_FIELDS, scdl_row(signed(RENEWAL_QPV, wave=Wave.RENEWAL), CDC), strict=True))
    assert row["objet"] == (
        "Dispositif Conseiller numérique (vague de renouvellement) : financement en partie de la "
        "rémunération de 1 poste de conseiller numérique"
    )
