"""The regularisation an avenant states for the tranches already settled (DESIGN §4, decision 0025).

Figures are those of DESIGN §4's examples, worked out by hand in each test.
"""

from __future__ import annotations

from decimal import Decimal

from conventions.domain.regularisations import Settlement, regularise

D = Decimal


def test_an_unsettled_tranche_takes_its_new_amount_with_nothing_to_regularise():
    [row] = regularise({3: D("43875.00")}, {3: D("27000.00")}, {})
    assert (row.amount, row.settled, row.stands_for, row.already_paid) == (D("43875.00"), None, None, None)
    assert (row.supplement, row.supplement_reduced, row.to_recover) == (0, 0, None)


def test_a_paid_tranche_raised_gets_a_supplementary_line():
    # Tranche 2 paid 54 000; the avenant states 87 750: 87 750 − 54 000 = 33 750 more to pay.
    [row] = regularise({2: D("87750.00")}, {2: D("54000.00")}, {2: Settlement("paid", D("54000.00"), D(0))})
    assert (row.settled, row.stands_for, row.already_paid) == ("paid", D("54000.00"), D("54000.00"))
    assert (row.supplement, row.supplement_reduced, row.to_recover) == (D("33750.00"), 0, 0)


def test_a_paid_tranche_reduced_leaves_a_recovery():
    # Cantal, 2 posts, one given back from month 7: tranche 2 paid 40 000 now stands at 15 000;
    # 40 000 − 15 000 = 25 000 to recover.
    rows = regularise(
        {1: D("40000.00"), 2: D("15000.00"), 3: D("7500.00")},
        {1: D("40000.00"), 2: D("40000.00"), 3: D("20000.00")},
        {1: Settlement("paid", D("40000.00"), D(0)), 2: Settlement("paid", D("40000.00"), D(0))},
    )
    assert [(r.number, r.supplement, r.to_recover) for r in rows] == [
        (1, 0, 0),
        (2, 0, D("25000.00")),
        (3, 0, None),
    ]


def test_an_approved_tranche_counts_as_settled():
    # Approved for 40 000, not yet paid: the rule is the same, nothing paid yet.
    [row] = regularise({2: D("15000.00")}, {2: D("40000.00")}, {2: Settlement("approved", D(0), D(0))})
    assert (row.settled, row.already_paid, row.to_recover) == ("approved", D(0), D("25000.00"))


def test_a_reduction_takes_the_unpaid_supplementary_line_first():
    # Tranche 2 paid 54 000, a first avenant raised it to 87 750 (a line of 33 750, not yet approved).
    # A second avenant brings it to 60 000: 87 750 − 60 000 = 27 750 less, all taken off the line
    # (33 750 − 27 750 = 6 000 left to pay); nothing to recover.
    [row] = regularise(
        {2: D("60000.00")}, {2: D("87750.00")}, {2: Settlement("paid", D("54000.00"), D("33750.00"))}
    )
    assert (row.supplement, row.supplement_reduced, row.to_recover) == (0, D("27750.00"), 0)
    # Down to 50 000 instead: 37 750 less; the line's 33 750 first, 37 750 − 33 750 = 4 000 to recover.
    [row] = regularise(
        {2: D("50000.00")}, {2: D("87750.00")}, {2: Settlement("paid", D("54000.00"), D("33750.00"))}
    )
    assert (row.supplement_reduced, row.to_recover) == (D("33750.00"), D("4000.00"))
