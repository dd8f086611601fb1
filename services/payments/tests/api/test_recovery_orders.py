"""Recovery orders, payments' side: a recovery that becomes due is `issued` with the day it is to be paid
back by and announced once (`recovery.issued`); closing a convention publishes its final statement once
(`final_statement.settled`). Decision 0031.

The conventions service makes, signs, amends and closes the conventions and signs and ends the
contracts; its outbox is delivered to payments as the relay would. Every expected figure is worked out
here by hand from DESIGN §3/§4, the parameters and decision 0030.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from cnum_shared.framework.db import create_database_engine
from cnum_shared.testing import bearer, outbox_envelopes, post_event
from payments.adapters.orm import event_tables

#: shared/parameters/convention.yaml, repayment_delay_days since 1 November 2020.
REPAYMENT_DELAY = timedelta(days=30)
#: The agency's account: the payments settings' defaults (PAYMENTS_DEBTOR_*), the programme's account.
AGENCY = {
    "name": "Caisse des depots et consignations",
    "iban": "FR7640031000010000001234555",
    "bic": "CDCGFRPPXXX",
}
END = date(2023, 2, 28)  # of a 24-month convention from 1 March 2021


def rows(url, query, **parameters):
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), parameters)]
    finally:
        engine.dispose()


def events(feed, event_type):
    return [e["data"] for e in outbox_envelopes(feed.app, event_tables) if e["type"] == event_type]


def reference(recovery_id):
    """Decision 0027: CNR and the recovery's id as 32 upper-case hex digits."""
    return "CNR" + uuid.UUID(recovery_id).hex.upper()


def instalments(feed, convention):
    return [t for t in feed.tranches(convention) if t["kind"] == "instalment"]


def recoveries(feed, convention):
    return feed.call("GET", f"/recoveries?convention_id={convention['convention_id']}", 200)


def test_a_post_not_refilled_in_time_is_issued_by_the_daily_job(feed, database_url):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=2)  # 1 March 2021, signed the 15th
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))
    feed.end_contract(contract, ended_on=date(2021, 9, 20))

    # Article 6: 67 500 ÷ 24 = 2 812,50 a month; March to September 2021 are months 1 to 7:
    # 19 687,50 earned; paid for the post 54 000 ÷ 2 = 27 000; 7 312,50 to pay back. Provisional until
    # the refill deadline: 3 months after 20 September 2021 (obligations.yaml post_refill before 2025),
    # 20 December 2021; a refill that day still cancels it.
    assert feed.run("issue_recoveries", date(2021, 12, 20)) == "0 reversement(s) émis"
    [provisional] = recoveries(feed, convention)
    assert (provisional["status"], provisional["refill_deadline"], provisional["pay_by"]) == (
        "provisional",
        "2021-12-20",
        None,
    )
    assert events(feed, "recovery.issued") == []

    # The next day nothing can cancel it: issued on 21 December 2021, to be paid back within 30 days.
    assert feed.run("issue_recoveries", date(2021, 12, 21)) == "1 reversement(s) émis"
    pay_by = date(2021, 12, 21) + REPAYMENT_DELAY
    assert pay_by == date(2022, 1, 20)
    [issued] = recoveries(feed, convention)
    assert (issued["status"], issued["recoverable"], issued["pay_by"]) == ("issued", "7312.50", "2022-01-20")
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert [(r["status"], r["pay_by"]) for r in balance["recoveries"]] == [("issued", "2022-01-20")]
    assert events(feed, "recovery.issued") == [
        {
            "recovery_id": issued["id"],
            "convention_id": convention["convention_id"],
            "structure_id": structure["id"],
            "convention_reference": convention["reference"],
            "kind": "post_ended",
            "amount": "7312.50",
            "issued_on": "2021-12-21",
            "pay_by": "2022-01-20",
            "repayment_delay_days": 30,
            "payment_reference": reference(issued["id"]),
            "pay_to": AGENCY,
            "computation": [{"period": 1, "months": 7, "monthly_rate": "2812.50", "earned": "19687.50"}],
            "contract_id": contract,
            "months_started": 7,
            "earned": "19687.50",
            "paid_per_post": "27000.00",
            "structure": structure["details"],
        }
    ]

    # Idempotent: the next runs find nothing more to issue; one history row per transition.
    assert feed.run("issue_recoveries", date(2021, 12, 22)) == "0 reversement(s) émis"
    assert len(events(feed, "recovery.issued")) == 1
    assert rows(
        database_url,
        "SELECT from_status, to_status, actor, reason FROM status_changes WHERE machine = 'recovery' "
        "ORDER BY at",
    ) == [
        (None, "provisional", "conventions", "poste terminé le 2021-09-20"),
        (
            "provisional",
            "issued",
            "cnum (reversements)",
            "poste non pourvu au 2021-12-20 (délai de remplacement)",
        ),
    ]

    # The export states it under its French label.
    response = feed.client.get(
        f"/api/v1/recoveries/export?format=csv&convention_id={convention['convention_id']}",
        headers=bearer("finance"),
    )
    assert response.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert row["À reverser avant le"] == "20/01/2022"


def test_an_avenant_reduction_after_payment_issues_its_recovery_at_signature(feed):
    structure = feed.structure("15")
    convention = feed.convention(structure, posts=2)  # Saint-Flour, 1 March 2021
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    feed.pay_tranche(second, date(2022, 3, 5))

    feed.amend(convention, posts=1, effective_date=date(2021, 9, 1), signed_on=date(2022, 6, 1))

    # Cantal, public: 50 000 a post; 2 posts: 40 000, 40 000, 20 000. One post fewer from September 2021
    # (month 7): 50 000 × 18 ÷ 24 = 37 500 less, total 62 500; tranches 2 and 3 take −25 000 and
    # −12 500. Tranche 2 was paid 40 000 and stands at 15 000: 25 000 to pay back, due from the
    # avenant's signature (1 June 2022), by 1 July 2022.
    [recovery] = recoveries(feed, convention)
    assert (recovery["kind"], recovery["status"], recovery["pay_by"]) == (
        "regularisation",
        "issued",
        (date(2022, 6, 1) + REPAYMENT_DELAY).isoformat(),
    )
    [issued] = events(feed, "recovery.issued")
    assert issued == {
        "recovery_id": recovery["id"],
        "convention_id": convention["convention_id"],
        "structure_id": structure["id"],
        "convention_reference": convention["reference"],
        "kind": "regularisation",
        "amount": "25000.00",
        "issued_on": "2022-06-01",
        "pay_by": "2022-07-01",
        "repayment_delay_days": 30,
        "payment_reference": reference(recovery["id"]),
        "pay_to": AGENCY,
        "computation": {
            "tranche": 2,
            "signed": "15000.00",
            "already": "40000.00",
            "status": "paid",
            "difference": "-25000.00",
        },
        "contract_id": None,
        "months_started": 0,
        "earned": None,
        "paid_per_post": None,
        "structure": structure["details"],
    }


def test_closing_an_overpaid_convention_issues_its_recovery_and_publishes_its_statement_once(feed):
    structure = feed.structure("15")
    convention = feed.convention(structure, posts=2)  # Saint-Flour, 1 March 2021
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))
    feed.pay_tranche(second, date(2022, 3, 5))
    feed.end_contract(contract, ended_on=date(2022, 3, 20))

    feed.end_convention(convention, action="close", on=END, reason="Fin de la convention")

    # Cantal, public: 50 000 a post, 2 posts: 100 000 granted; tranches 1 and 2 paid, 80 000. The one
    # post filled is occupied from March 2021 to March 2022, months 1 to 13: 50 000 × 13 ÷ 24 =
    # 27 083,33; the other earns nothing. Balance 27 083,33 − 80 000 = −52 916,67. Article 6 already
    # claims (provisionally) 80 000 ÷ 2 − 27 083,33 = 12 916,67: closing claims 52 916,67 − 12 916,67 =
    # 40 000, issued on the closing date, to be paid back by 30 March 2023.
    earned = (Decimal(50000) * 13 / 24).quantize(Decimal("0.01"))
    balance = earned - Decimal(80000)
    claimed = Decimal(80000) / 2 - earned
    to_settle = balance + claimed
    assert (str(earned), str(balance), str(claimed), str(to_settle)) == (
        "27083.33",
        "-52916.67",
        "12916.67",
        "-40000.00",
    )
    [final] = [r for r in recoveries(feed, convention) if r["kind"] == "final_statement"]
    assert (final["status"], final["recoverable"], final["pay_by"]) == ("issued", "40000.00", "2023-03-30")
    [issued] = events(feed, "recovery.issued")
    assert (
        issued["recovery_id"],
        issued["kind"],
        issued["amount"],
        issued["issued_on"],
        issued["pay_by"],
    ) == (
        final["id"],
        "final_statement",
        "40000.00",
        END.isoformat(),
        (END + REPAYMENT_DELAY).isoformat(),
    )
    assert (issued["payment_reference"], issued["pay_to"], issued["months_started"]) == (
        reference(final["id"]),
        AGENCY,
        13,
    )
    assert issued["computation"] == {
        "as_of": END.isoformat(),
        "granted": "100000.00",
        "earned": str(earned),
        "paid": "80000.00",
        "balance": str(balance),
        "in_payment": "0.00",
        "claimed": str(claimed),
        "to_settle": str(to_settle),
    }
    # The statement as of the closing date, as it stood when closing settled it.
    assert events(feed, "final_statement.settled") == [
        {
            "convention_id": convention["convention_id"],
            "structure_id": structure["id"],
            "convention_reference": convention["reference"],
            "closed_on": END.isoformat(),
            "as_of": END.isoformat(),
            "granted": "100000.00",
            "earned": str(earned),
            "paid": "80000.00",
            "balance": str(balance),
            "to_pay": "0.00",
            "to_recover": str(-balance),
            "in_payment": "0.00",
            "claimed": str(claimed),
            "to_settle": str(to_settle),
            "posts": [
                {
                    "post": 1,
                    "months": 13,
                    "earned": str(earned),
                    "contracts": [
                        {
                            "contract_id": contract,
                            "occupied_from": "2021-03-15",
                            "occupied_until": "2022-03-20",
                            "months": 13,
                            "earned": str(earned),
                        }
                    ],
                },
                {"post": 2, "months": 0, "earned": "0.00", "contracts": []},
            ],
            "settlement": {"kind": "recovery", "id": final["id"], "amount": "40000.00"},
            "structure": structure["details"],
        }
    ]

    # The closing again (a lost acknowledgement, then as a new event): nothing more is published.
    closing = next(e for e in feed.delivered if e["type"] == "convention.closed")
    assert post_event(feed.client, closing).status_code == 200
    again = {**closing, "id": str(uuid.uuid4()), "sequence": closing["sequence"] + 1}
    assert post_event(feed.client, again).status_code == 200
    assert len(events(feed, "final_statement.settled")) == 1
    assert len(events(feed, "recovery.issued")) == 1


def test_closing_with_nothing_left_publishes_a_statement_at_zero(feed):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=1)  # 67 500 granted, nothing paid, no contract

    feed.end_convention(convention, action="close", on=END, reason="Convention sans recrutement")

    # The post was never filled: earned 0, paid 0, nothing to settle; the statement is still published.
    [settled] = events(feed, "final_statement.settled")
    assert {k: settled[k] for k in ("granted", "earned", "paid", "balance", "to_settle", "settlement")} == {
        "granted": "67500.00",
        "earned": "0.00",
        "paid": "0.00",
        "balance": "0.00",
        "to_settle": "0.00",
        "settlement": None,
    }
    assert settled["posts"] == [{"post": 1, "months": 0, "earned": "0.00", "contracts": []}]
    assert events(feed, "recovery.issued") == []
    closing = next(e for e in feed.delivered if e["type"] == "convention.closed")
    again = {**closing, "id": str(uuid.uuid4()), "sequence": closing["sequence"] + 1}
    assert post_event(feed.client, again).status_code == 200
    assert len(events(feed, "final_statement.settled")) == 1
