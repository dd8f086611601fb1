"""The list of recoveries a dashboard's « à reverser » leads to (decision 0043): several statuses at once
(provisional or issued) and a territory, the structure's department or its region; the same filters for
the export. Every amount is worked out here from article 6 (paid for the post − earned) and the avenant's
reduction (decision 0030); the recoveries are made by payments' own use cases, through its API and jobs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from .conftest import STRUCTURES
from .test_exports import csv_rows, export
from .test_recovery_settlement import act, reduced_after_payment

PAID_ON = date(2021, 3, 20)
TAMPON, SAINTE_ANNE, SAINT_FLOUR = (STRUCTURES[code]["name"] for code in ("974", "971", "15"))

#: Le Tampon (974, region 04): 67 500 € a post, 2 posts, tranche 1 = 40 % = 54 000, 27 000 for the post;
#: the post held 15 March – 20 September 2021, months 1 to 7 of 24: earned 67 500 × 7 ÷ 24.
TAMPON_OWES = Decimal(54_000) / 2 - Decimal(67_500) * 7 / 24
#: Sainte-Anne (971, region 01): 70 000 € a post, 1 post, tranche 1 = 28 000; the post held 15 March –
#: 20 November 2021, months 1 to 9: earned 70 000 × 9 ÷ 24.
SAINTE_ANNE_OWES = Decimal(28_000) - Decimal(70_000) * 9 / 24
#: Saint-Flour (15, region 84): one post fewer from month 7 once tranches 1 and 2 were paid: its tranche 2
#: of 40 000 stands at 15 000 (test_recovery_settlement.reduced_after_payment works it out), received.
SAINT_FLOUR_OWES = Decimal(40_000) - Decimal(15_000)


def money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


@pytest.fixture
def three_regions(feed):
    """Le Tampon's recovery issued (its refill deadline, 20 December 2021, passed), Sainte-Anne's still
    provisional (until 20 February 2022), Saint-Flour's issued at the avenant and received."""
    tampon = feed.convention(feed.structure("974"), posts=2)
    sainte_anne = feed.convention(feed.structure("971"), posts=1)
    for convention, ended_on in ((tampon, date(2021, 9, 20)), (sainte_anne, date(2021, 11, 20))):
        feed.pay_tranche(feed.tranches(convention)[0], PAID_ON)
        contract = feed.contract(convention, start=date(2021, 3, 15))
        feed.end_contract(contract, ended_on=ended_on)
    assert feed.run("issue_recoveries", date(2021, 12, 21)) == "1 reversement(s) émis"
    saint_flour, recovery = reduced_after_payment(feed)
    feed.on(date(2022, 6, 20))
    act(feed, recovery["id"], "receive", {"received_on": "2022-06-18"}, 200)
    return {"974": tampon, "971": sainte_anne, "15": saint_flour}


def listed(feed, query):
    return sorted(
        (row["structure_name"], row["status"], row["recoverable"], row["convention_reference"])
        for row in feed.call("GET", f"/recoveries?{query}", 200)
    )


def test_the_recoveries_are_listed_by_several_statuses_and_by_territory(feed, three_regions):
    assert (money(TAMPON_OWES), money(SAINTE_ANNE_OWES), money(SAINT_FLOUR_OWES)) == (
        "7312.50",
        "1750.00",
        "25000.00",
    )
    tampon, sainte_anne, saint_flour = (
        (name, status, money(amount), three_regions[code]["reference"])
        for name, status, amount, code in (
            (TAMPON, "issued", TAMPON_OWES, "974"),
            (SAINTE_ANNE, "provisional", SAINTE_ANNE_OWES, "971"),
            (SAINT_FLOUR, "received", SAINT_FLOUR_OWES, "15"),
        )
    )
    recoverable = "status=provisional&status=issued"

    # What the dashboard's « à reverser » adds up: provisional or issued, not the one received.
    assert listed(feed, recoverable) == sorted([tampon, sainte_anne])
    # By region (La Réunion 04, Guadeloupe 01, Auvergne-Rhône-Alpes 84) and by department.
    assert listed(feed, f"{recoverable}&region=04") == [tampon]
    assert listed(feed, f"{recoverable}&region=01") == [sainte_anne]
    assert listed(feed, f"{recoverable}&region=84") == []
    assert listed(feed, f"{recoverable}&department=971") == [sainte_anne]
    assert listed(feed, "department=15") == [saint_flour]
    assert listed(feed, "department=15&region=84") == [saint_flour]
    assert listed(feed, "department=15&region=04") == []  # a department outside the region: nothing
    # One status, as before; every status without the filter.
    assert listed(feed, "status=received") == [saint_flour]
    assert listed(feed, "status=issued&status=issued") == [tampon]
    assert listed(feed, "") == sorted([tampon, sainte_anne, saint_flour])

    # The export takes the same filters.
    rows, _ = csv_rows(export(feed, f"recoveries/export?{recoverable}&region=01", "csv"))
    assert [(row["Structure"], row["Statut"], row["Montant à reverser"]) for row in rows] == [
        (SAINTE_ANNE, "provisoire", "1750,00")
    ]
    rows, _ = csv_rows(export(feed, f"recoveries/export?{recoverable}", "csv"))
    assert sorted(row["Montant à reverser"] for row in rows) == ["1750,00", "7312,50"]


def test_an_unknown_status_or_territory_is_refused(feed):
    for query, field in (("department=99", "department"), ("region=99", "region"), ("status=lost", "status")):
        answer = feed.call("GET", f"/recoveries?{query}", 422)
        assert field in answer["errors"]["query"], query
        assert field in feed.call("GET", f"/recoveries/export?format=csv&{query}", 422)["errors"]["query"]
