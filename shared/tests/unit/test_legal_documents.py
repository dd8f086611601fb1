"""The legal functions the documents read (documents.yaml, convention.yaml, the training paths, the renewal
amounts and bonus), with the values worked out from the parameter files' sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.core import legal
from cnum_shared.core.legal import InconsistentParameters, StructureKind
from cnum_shared.core.parameters import parameters

TREE = parameters()

# documents.yaml: the AMI of 2020, the renewal FAQ of January 2023, the engagements of October 2024, the
# FAQ of 14 May 2025, the title of 13 July 2025.
EDITIONS = (
    (date(2020, 11, 1), "initial_2020"),
    (date(2023, 1, 1), "renewal_2023"),
    (date(2024, 10, 1), "coop_2024"),
    (date(2025, 5, 14), "refill_2025"),
    (date(2025, 7, 13), "title_2025"),
)


def test_the_editions_of_the_templates_and_their_dates():
    assert legal.template_editions(tree=TREE) == EDITIONS


@pytest.mark.parametrize(("since", "code"), EDITIONS[1:])
def test_an_edition_is_in_force_from_its_day_and_not_the_day_before(since, code):
    since_of = {c: d for d, c in EDITIONS}
    before = [c for d, c in EDITIONS if d < since][-1]

    assert legal.template_edition(since, tree=TREE) == code
    assert legal.template_edition(date.fromordinal(since.toordinal() - 1), tree=TREE) == before
    assert legal.template_edition_since(code, tree=TREE) == since_of[code] == since


def test_an_unknown_edition_has_no_date():
    with pytest.raises(InconsistentParameters):
        legal.template_edition_since("edition_2030", tree=TREE)


def test_the_convention_terms_and_the_republican_commitment_from_2022():
    # convention.yaml: 30 days' notice (ANCT convention plan, art. 8.1), 30 days to repay (assumption),
    # one month of force majeure (art. 9), the compte rendu financier six months after the year (loi
    # 2000-321, art. 10), the contrat d'engagement républicain from 1 January 2022.
    before = legal.convention_terms(date(2021, 12, 31), tree=TREE)
    since = legal.convention_terms(date(2022, 1, 1), tree=TREE)

    assert (before.termination_notice_days, before.repayment_delay_days) == (30, 30)
    assert (before.force_majeure_months, before.financial_report_delay_months) == (1, 6)
    assert (before.republican_commitment, since.republican_commitment) == (False, True)
    assert legal.convention_terms(date(2020, 11, 1), tree=TREE).republican_commitment is False


def test_the_training_paths_are_cited_from_october_2024():
    # obligations.training_entry.paths_hours: 70, 175 or 315 hours (site-vitrine, FormationInitiale.js).
    assert legal.initial_training_paths_hours(date(2024, 9, 30), tree=TREE) == ()
    assert legal.initial_training_paths_hours(date(2024, 10, 1), tree=TREE) == (70, 175, 315)
    assert legal.initial_training_paths_hours(date(2021, 3, 1), tree=TREE) == ()


@pytest.mark.parametrize(
    ("kind", "qpv_zrr", "expected"),
    [
        # subsidy/renewal.yaml (DESIGN §3): 70 % then 50 % and 50 % of 25 000 a year = 17 500, 12 500,
        # 12 500 (42 500); in QPV/ZRR 20 000, 17 500, 12 500 (50 000); private 20 000, 14 000, 10 000
        # (44 000), with no bonus.
        (StructureKind.PUBLIC, False, ("17500.00", "12500.00", "12500.00")),
        (StructureKind.PUBLIC, True, ("20000.00", "17500.00", "12500.00")),
        (StructureKind.PRIVATE, False, ("20000.00", "14000.00", "10000.00")),
        (StructureKind.PRIVATE, True, ("20000.00", "14000.00", "10000.00")),
    ],
)
def test_the_renewal_yearly_amounts(kind, qpv_zrr, expected):
    amounts = legal.renewal_yearly_amounts(kind, qpv_zrr, date(2023, 6, 1), tree=TREE)

    assert amounts == tuple(Decimal(a) for a in expected)


def test_the_renewal_yearly_bonuses():
    # 20 000 − 17 500 = 2 500; 17 500 − 12 500 = 5 000; 12 500 − 12 500 = 0: 7 500 in all, the
    # difference between 50 000 and 42 500.
    bonuses = legal.renewal_yearly_bonuses(date(2024, 7, 1), tree=TREE)

    assert bonuses == (Decimal("2500.00"), Decimal("5000.00"), Decimal("0.00"))
    assert sum(bonuses) == Decimal(50000) - Decimal(42500)
