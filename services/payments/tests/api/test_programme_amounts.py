"""The dashboard's amounts (decision 0043): committed, paid, due and recoverable by region and department,
summed in the database, and the tranche list each figure leads to (by territory, by several statuses).

The conventions, contracts and their ends are made in the conventions service and delivered as its relay
does (the `Feed`); tranches are approved and paid through payments' API, recoveries issued by its job."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.testing import bearer

PAID_ON = date(2021, 3, 20)


@pytest.fixture
def programme(feed):
    """Four structures of four regions, their initial-wave conventions signed on 15 March 2021:

    - Le Tampon (974, region 04 La Réunion), 2 public posts: 67 500 € a post, 135 000 € in tranches of
      40 % / 40 % / 20 % = 54 000 + 54 000 + 27 000; tranche 1 paid on 20 March 2021; a post held from
      15 March to 20 September 2021, months 1 to 7 of the convention: earned 67 500 × 7 ÷ 24 = 19 687,50,
      paid for the post 54 000 ÷ 2 = 27 000, to pay back 27 000 − 19 687,50 = 7 312,50, provisional until
      the refill deadline (20 December 2021), issued the next day by the daily job;
    - Saint-Flour (15, region 84 Auvergne-Rhône-Alpes), 1 post: 50 000 €, tranche 1 (20 000) approved;
    - Sainte-Anne (971, region 01 Guadeloupe), 1 post: 70 000 €, tranche 1 (28 000) due;
    - the association of the Val-de-Marne (94, region 11), 1 private post: 32 000 €, terminated on 30
      April 2021 before anything was paid: its tranches are cancelled, nothing is committed.
    """
    structures = {department: feed.structure(department) for department in ("974", "15", "971", "94")}
    conventions = {
        "974": feed.convention(structures["974"], posts=2),
        "15": feed.convention(structures["15"], posts=1),
        "971": feed.convention(structures["971"], posts=1),
        "94": feed.convention(structures["94"], posts=1),
    }
    feed.pay_tranche(feed.tranches(conventions["974"])[0], PAID_ON)  # runs mark_due: every tranche 1 due
    contract = feed.contract(conventions["974"], start=date(2021, 3, 15))
    feed.end_contract(contract, ended_on=date(2021, 9, 20))
    feed.standing(structures["15"]["id"], as_of=PAID_ON)
    first_of_saint_flour = feed.tranches(conventions["15"])[0]
    feed.call("POST", f"/tranches/{first_of_saint_flour['id']}/approve", 200, {}, sub="alice")
    feed.end_convention(conventions["94"], on=date(2021, 4, 30))
    assert feed.run("issue_recoveries", date(2021, 12, 21)) == "1 reversement(s) émis"
    return structures, conventions


def figures(committed, paid, due, recoverable, issued):
    return {
        "committed": committed,
        "paid": paid,
        "due": due,
        "recoverable": recoverable,
        "recoverable_issued": issued,
    }


def money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


#: Article 6 for the post of Le Tampon (fixture's docstring): paid for the post − earned.
TO_PAY_BACK = Decimal(54_000) / 2 - Decimal(67_500) * 7 / 24


def test_the_amounts_are_summed_by_region_and_department_as_the_balances_define_them(feed, programme):
    _, conventions = programme

    answer = feed.call("GET", "/statistics/amounts", 200)

    zero = Decimal(0)
    reunion = figures(
        *(money(v) for v in (67_500 * Decimal(2), Decimal(54_000), zero, TO_PAY_BACK, TO_PAY_BACK))
    )
    cantal = figures(*(money(v) for v in (Decimal(50_000), zero, Decimal(50_000) * 40 / 100, zero, zero)))
    guadeloupe = figures(*(money(v) for v in (Decimal(70_000), zero, Decimal(70_000) * 40 / 100, zero, zero)))
    assert money(TO_PAY_BACK) == "7312.50"
    # In all: 135 000 + 50 000 + 70 000 committed (the Val-de-Marne's tranches were cancelled); paid
    # 54 000; due 20 000 approved + 28 000 due; 7 312,50 to pay back, issued.
    total = (
        Decimal(135_000 + 50_000 + 70_000),
        Decimal(54_000),
        Decimal(20_000 + 28_000),
        TO_PAY_BACK,
        TO_PAY_BACK,
    )
    assert answer["total"] == figures(*(money(v) for v in total))
    assert answer["total"]["committed"] == "255000.00"
    # Regions in the order of INSEE's code (01, 04, 84); no line for a region with nothing (11).
    assert answer["regions"] == [
        {"code": "01", "name": "Guadeloupe", **guadeloupe},
        {"code": "04", "name": "La Réunion", **reunion},
        {"code": "84", "name": "Auvergne-Rhône-Alpes", **cantal},
    ]
    assert answer["departments"] == [
        {"code": "15", "name": "Cantal", "region": "84", **cantal},
        {"code": "971", "name": "Guadeloupe", "region": "01", **guadeloupe},
        {"code": "974", "name": "La Réunion", "region": "04", **reunion},
    ]
    # The same definitions as each convention's balance: the balances of the committed conventions add
    # up to the totals, figure by figure.
    balances = [
        feed.call("GET", f"/conventions/{conventions[key]['convention_id']}/balance", 200)
        for key in ("974", "15", "971")
    ]
    for name in ("paid", "due", "recoverable"):
        cents = sum(int(balance[name].replace(".", "")) for balance in balances)
        assert f"{cents // 100}.{cents % 100:02d}" == answer["total"][name]


def test_the_amounts_are_read_by_the_programme_officers_and_never_by_a_structure(feed, programme):
    structures, _ = programme
    for role in ("finance", "legal", "admin", "auditor"):
        assert feed.client.get("/api/v1/statistics/amounts", headers=bearer(role)).status_code == 200
    refused = feed.client.get(
        "/api/v1/statistics/amounts", headers=bearer("structure", structure_id=structures["974"]["id"])
    )
    assert refused.status_code == 403
    assert refused.get_json()["code"] == 403
    for role in ("compliance", "service", "reporter"):
        assert feed.client.get("/api/v1/statistics/amounts", headers=bearer(role)).status_code == 403
    assert feed.client.get("/api/v1/statistics/amounts").status_code == 401


def listed(feed, query):
    response = feed.client.get(f"/api/v1/tranches?{query}", headers=bearer("finance"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_figure_leads_to_the_tranches_it_adds_up(feed, programme):
    _, conventions = programme
    committed = "status=scheduled&status=due&status=blocked&status=approved&status=paid"

    # Committed in La Réunion: its three tranches, 54 000 + 54 000 + 27 000 = 135 000.
    reunion = listed(feed, f"{committed}&region=04")
    assert sorted(t["amount"] for t in reunion) == ["27000.00", "54000.00", "54000.00"]
    # Due in all: the tranches due, blocked or approved: Saint-Flour's 20 000 and Sainte-Anne's 28 000.
    due = listed(feed, "status=due&status=blocked&status=approved")
    assert sorted((t["structure_name"], t["amount"], t["status"]) for t in due) == [
        ("Commune de Saint-Flour", "20000.00", "approved"),
        ("Commune de Sainte-Anne", "28000.00", "due"),
    ]
    assert [t["amount"] for t in listed(feed, "status=paid&department=974")] == ["54000.00"]
    # The Val-de-Marne's tranches are all cancelled: none is committed.
    assert len(listed(feed, "department=94")) == 3
    assert listed(feed, f"{committed}&department=94") == []
    # A department outside the region asked for: nothing.
    assert listed(feed, "department=15&region=04") == []
    assert listed(feed, "department=15&region=84")[0]["convention_id"] == conventions["15"]["convention_id"]


def test_an_unknown_territory_is_refused_in_french(feed, programme):
    for query, field in (("department=99", "department"), ("region=99", "region"), ("status=lost", "status")):
        response = feed.client.get(f"/api/v1/tranches?{query}", headers=bearer("finance"))
        assert response.status_code == 422, query
        assert field in response.get_json()["errors"]["query"]
    assert "inconnu" in str(
        feed.client.get("/api/v1/tranches?department=99", headers=bearer("finance")).get_json()
    )


def test_a_structure_that_moves_is_listed_in_its_new_department_at_once(feed, programme):
    structures, _ = programme
    assert len(listed(feed, "department=15")) == 3  # read once: the list by territory is not cached
    feed.legal(
        "PATCH", f"/structures/{structures['15']['id']}", 200, {"department": "43", "postcode": "43000"}
    )
    feed.deliver()

    assert listed(feed, "department=15") == []
    assert len(listed(feed, "department=43")) == 3
    answer = feed.call("GET", "/statistics/amounts", 200)
    assert [(d["code"], d["name"], d["region"]) for d in answer["departments"]] == [
        ("43", "Haute-Loire", "84"),
        ("971", "Guadeloupe", "01"),
        ("974", "La Réunion", "04"),
    ]
