"""The final statement of a convention (décompte final) and its settlement when the convention is closed.

The conventions service makes, signs and closes the convention (POST /conventions/{id}/close) and signs
and ends the contracts; its outbox is delivered to payments as the relay would; finance officers pay over
the payments API. Every expected figure is worked out here by hand from DESIGN §3/§4 (decision 0030).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cnum_shared.testing import post_event

END = date(2023, 2, 28)  # of a 24-month convention from 1 March 2021


def instalments(feed, convention):
    return [t for t in feed.tranches(convention) if t["kind"] == "instalment"]


def statement_of(feed, convention, query="", **claims):
    return feed.call(
        "GET", f"/conventions/{convention['convention_id']}/final-statement{query}", 200, **claims
    )


def test_closing_a_convention_still_owed_money_books_a_last_payable_line(feed):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=2)  # 1 March 2021, signed the 15th
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    # Two advisors on CDDs of 18 months: 15 March 2021 to 14 September 2022, 1 April 2021 to 30 Sept 2022.
    one = feed.contract(convention, start=date(2021, 3, 15))
    two = feed.contract(convention, start=date(2021, 4, 1))

    # La Réunion, public: 67 500 a post over 24 months (2 812,50 a month); 2 posts = 135 000 in tranches
    # of 54 000 / 54 000 / 27 000. The first post is occupied from March 2021 (month 1) to September
    # 2022 (month 19): 67 500 × 19 ÷ 24 = 53 437,50; the second from April 2021 (month 2) to September
    # 2022: 18 months, 67 500 × 18 ÷ 24 = 50 625. Earned 104 062,50; paid 54 000 (tranche 1):
    # 50 062,50 still to pay.
    earned = Decimal("53437.50") + Decimal("50625.00")
    to_pay = earned - Decimal("54000.00")
    feed.on(date(2026, 1, 10))
    before = statement_of(feed, convention)
    assert before["as_of"] == END.isoformat()  # asked in 2026 of a running convention: as of its end
    assert [(p["post"], p["months"], p["earned"]) for p in before["posts"]] == [
        (1, 19, "53437.50"),
        (2, 18, "50625.00"),
    ]
    assert [[c["contract_id"] for c in p["contracts"]] for p in before["posts"]] == [[one], [two]]
    assert before["posts"][0]["contracts"][0]["periods"] == [
        {"period": 1, "months": 19, "monthly_rate": "2812.50", "earned": "53437.50"}
    ]
    assert {k: before[k] for k in ("granted", "earned", "paid", "balance", "to_pay", "to_recover")} == {
        "granted": "135000.00",
        "earned": str(earned),
        "paid": "54000.00",
        "balance": str(to_pay),
        "to_pay": str(to_pay),
        "to_recover": "0.00",
    }
    assert (before["to_settle"], before["settlements"]) == (str(to_pay), [])

    feed.end_convention(convention, action="close", on=END, reason="Fin de la convention")

    schedule = feed.tranches(convention)
    assert [(t["number"], t["kind"], t["amount"], t["status"], t["due_on"]) for t in schedule] == [
        (1, "instalment", "54000.00", "paid", "2021-03-15"),
        (2, "instalment", "54000.00", "cancelled", "2022-03-01"),
        (3, "instalment", "27000.00", "cancelled", "2023-03-01"),
        (4, "final_balance", str(to_pay), "scheduled", END.isoformat()),
    ]
    line = schedule[3]
    history = feed.call("GET", f"/tranches/{line['id']}/history", 200)
    assert "décompte final au 2023-02-28" in history[0]["reason"]
    after = statement_of(feed, convention)
    assert after["status"] == "closed"
    # The line is in payment: balance − in payment = 50 062,50 − 50 062,50, nothing left to settle.
    assert (after["balance"], after["in_payment"], after["to_settle"]) == (str(to_pay), str(to_pay), "0.00")
    assert after["settlements"] == [
        {"kind": "payment", "id": line["id"], "amount": str(to_pay), "status": "scheduled"}
    ]

    # The line goes through the normal approval and payment: then nothing is left to pay.
    feed.pay_tranche(line, date(2023, 3, 10))
    paid = statement_of(feed, convention)
    assert (paid["paid"], paid["balance"], paid["in_payment"], paid["to_settle"]) == (
        str(earned),
        "0.00",
        "0.00",
        "0.00",
    )


def test_closing_a_convention_that_was_overpaid_issues_a_recovery_once(feed):
    structure = feed.structure("15")
    convention = feed.convention(structure, posts=2)  # Saint-Flour, 1 March 2021
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))
    feed.pay_tranche(second, date(2022, 3, 5))
    feed.end_contract(contract, ended_on=date(2022, 3, 20))

    # Cantal, public: 50 000 a post; 2 posts: 40 000, 40 000, 20 000; tranches 1 and 2 paid, 80 000.
    # The one post filled is occupied from March 2021 to March 2022, months 1 to 13:
    # 50 000 × 13 ÷ 24 = 27 083,333… → 27 083,33; the other post was never filled and earns nothing.
    # When the contract ended, article 6 already claimed (provisionally) 80 000 ÷ 2 − 27 083,33 =
    # 12 916,67. Balance 27 083,33 − 80 000 = −52 916,67; closing claims the rest:
    # 52 916,67 − 12 916,67 = 40 000 (what was paid for the post never filled).
    earned = Decimal("50000.00") * 13 / 24
    earned = earned.quantize(Decimal("0.01"))
    provisional = Decimal("80000.00") / 2 - earned
    balance = earned - Decimal("80000.00")
    feed.end_convention(convention, action="close", on=END, reason="Fin de la convention")

    closed = statement_of(feed, convention)
    assert [(p["post"], p["months"], p["earned"], len(p["contracts"])) for p in closed["posts"]] == [
        (1, 13, str(earned), 1),
        (2, 0, "0.00", 0),
    ]
    assert (closed["earned"], closed["paid"], closed["balance"], closed["to_recover"]) == (
        "27083.33",
        "80000.00",
        str(balance),
        "52916.67",
    )
    assert closed["claimed"] == str(provisional + Decimal("40000.00"))
    balance_view = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    final = [r for r in balance_view["recoveries"] if r["kind"] == "final_statement"]
    assert [(r["status"], r["recoverable"], r["earned"], r["contract_id"]) for r in final] == [
        ("issued", "40000.00", "27083.33", None)
    ]
    assert closed["settlements"] == [
        {"kind": "recovery", "id": final[0]["id"], "amount": "40000.00", "status": "issued"}
    ]
    assert [t["status"] for t in feed.tranches(convention)] == ["paid", "paid", "cancelled"]

    # The same event again (a lost acknowledgement), then the same closing as a new event: nothing moves.
    closing = next(e for e in feed.delivered if e["type"] == "convention.closed")
    assert post_event(feed.client, closing).status_code == 200
    again = {**closing, "id": str(uuid.uuid4()), "sequence": closing["sequence"] + 1}
    assert post_event(feed.client, again).status_code == 200
    assert feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200) == balance_view
    assert len(feed.tranches(convention)) == 3


def test_a_statement_as_of_a_date_counts_the_months_started_by_then(feed):
    convention = feed.convention(feed.structure("974"), posts=1)
    feed.contract(convention, start=date(2021, 3, 15))

    # As of 10 June 2021: March to June, months 1 to 4: 67 500 × 4 ÷ 24 = 11 250. Nothing paid yet.
    found = statement_of(feed, convention, "?as_of=2021-06-10")

    assert (found["as_of"], found["earned"], found["paid"], found["to_pay"]) == (
        "2021-06-10",
        "11250.00",
        "0.00",
        "11250.00",
    )
    assert found["posts"][0]["contracts"][0]["occupied_until"] == "2021-06-10"


def test_who_reads_a_final_statement(feed):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=1)
    path = f"/conventions/{convention['convention_id']}/final-statement"
    other = "00000000-0000-4000-8000-000000000001"

    for role in ("finance", "legal", "auditor", "admin"):
        feed.call("GET", path, 200, role=role)
    feed.call("GET", path, 200, role="structure", structure_id=structure["id"])
    foreign = feed.call("GET", path, 404, role="structure", structure_id=other)
    unknown = feed.call(
        "GET",
        "/conventions/00000000-0000-4000-8000-000000000002/final-statement",
        404,
        role="structure",
        structure_id=other,
    )
    assert foreign == unknown
    assert foreign["message"] == "Convention inconnue des paiements."
    feed.call("GET", path, 403, role="compliance")
    feed.call("GET", f"{path}?as_of=2021-13-01", 422)
