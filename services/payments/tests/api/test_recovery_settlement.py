"""A recovery once issued: recorded received by a finance officer, or offset against a later tranche of the
structure, which is then transferred net of it while its payment settles the whole tranche (decision
0031). Every figure is worked out here by hand from DESIGN §3/§4 and decision 0030.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cnum_shared.testing import bearer
from payments.adapters.sepa import summary, validate_pain001

from .test_recovery_orders import rows

END = date(2023, 2, 28)  # of a 24-month convention from 1 March 2021


def instalments(feed, convention):
    return [t for t in feed.tranches(convention) if t["kind"] == "instalment"]


def recoveries(feed, convention):
    return feed.call("GET", f"/recoveries?convention_id={convention['convention_id']}", 200)


def statement_of(feed, convention):
    """The statement as of the convention's end (its months all counted; the books are today's)."""
    return feed.call(
        "GET", f"/conventions/{convention['convention_id']}/final-statement?as_of={END.isoformat()}", 200
    )


def code(answer):
    return answer["errors"]["reasons"][0]["code"]


def act(feed, recovery_id, action, body, expected, key=None, **claims):
    return feed.call(
        "POST",
        f"/recoveries/{recovery_id}/{action}",
        expected,
        body,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
        **{"sub": "chloe", **claims},
    )


def reduced_after_payment(feed):
    """Saint-Flour (Cantal, public, 50 000 a post), 2 posts from 1 March 2021: 40 000, 40 000, 20 000;
    tranches 1 and 2 paid, then one post fewer from September 2021 (month 7), signed 1 June 2022:
    50 000 × 18 ÷ 24 = 37 500 less; tranche 2 stands at 15 000: 25 000 issued to pay back."""
    convention = feed.convention(feed.structure("15"), posts=2)
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    feed.pay_tranche(second, date(2022, 3, 5))
    feed.amend(convention, posts=1, effective_date=date(2021, 9, 1), signed_on=date(2022, 6, 1))
    [recovery] = recoveries(feed, convention)
    assert (recovery["status"], recovery["recoverable"]) == ("issued", "25000.00")
    return convention, recovery


def test_finance_records_an_issued_recovery_received_once(feed, database_url):
    convention, recovery = reduced_after_payment(feed)
    feed.on(date(2022, 6, 20))

    feed.call("POST", f"/recoveries/{recovery['id']}/receive", 400, {"received_on": "2022-06-18"})
    act(feed, recovery["id"], "receive", {"received_on": "2022-06-21"}, 422)  # after today
    received = act(
        feed, recovery["id"], "receive", {"received_on": "2022-06-18", "note": "virement VIR-77"}, 200, "k1"
    )

    assert (received["id"], received["status"], received["recoverable"]) == (
        recovery["id"],
        "received",
        "25000.00",
    )
    # A retry with the same key gets the same answer; another request is refused: it is received already.
    assert (
        act(
            feed,
            recovery["id"],
            "receive",
            {"received_on": "2022-06-18", "note": "virement VIR-77"},
            200,
            "k1",
        )
        == received
    )
    refused = act(feed, recovery["id"], "receive", {"received_on": "2022-06-18"}, 409)
    assert refused["message"] == "Reversement reçu : seul un reversement émis peut être reçu."
    act(feed, str(uuid.uuid4()), "receive", {"received_on": "2022-06-18"}, 404)
    assert rows(
        database_url,
        "SELECT from_status, to_status, actor, reason FROM status_changes "
        "WHERE machine = 'recovery' AND to_status = 'received'",
    ) == [("issued", "received", "chloe", "reçu le 2022-06-18 (enregistré par un agent : virement VIR-77)")]

    # Money back: paid 80 000 − 25 000 = 55 000 in the final statement; nothing claimed any more.
    found = statement_of(feed, convention)
    assert (found["paid"], found["claimed"]) == ("55000.00", "0.00")


def pay_through_a_run(feed, tranche, structure_id, day):
    """The tranche falls due, Alice approves it, Bruno puts it in a run and exports its SEPA file, Chloé
    confirms it; the file is returned."""
    feed.standing(structure_id, as_of=day)
    feed.run("mark_due", day)
    feed.on(day)
    feed.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
    run = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"tranche_ids": [tranche["id"]], "execution_date": day.isoformat()},
        sub="bruno",
        headers={"Idempotency-Key": f"run-{tranche['id']}"},
    )
    sepa = feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))
    assert sepa.status_code == 200
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": day.isoformat()}, sub="chloe")
    return run, sepa.data


def test_an_offset_recovery_is_withheld_from_the_next_tranche_and_counted_once(feed):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=2)  # La Réunion, 1 March 2021: 54 000, 54 000, 27 000
    first, second, third = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))
    feed.end_contract(contract, ended_on=date(2021, 9, 20))
    # Article 6: months 1 to 7 at 67 500 ÷ 24 = 2 812,50: 19 687,50 earned; 54 000 ÷ 2 = 27 000 paid
    # for the post; 7 312,50 to pay back, provisional until 20 December 2021.
    [recovery] = recoveries(feed, convention)
    act(feed, recovery["id"], "offset", {"tranche_id": second["id"]}, 409)  # provisional: not yet due
    feed.run("issue_recoveries", date(2021, 12, 21))

    # Refusals: a paid tranche, another structure's tranche, a tranche smaller than the recovery.
    assert code(act(feed, recovery["id"], "offset", {"tranche_id": first["id"]}, 409)) == "tranche_settled"
    other = feed.convention(feed.structure("94"), posts=1)
    other_first = instalments(feed, other)[0]
    assert (
        code(act(feed, recovery["id"], "offset", {"tranche_id": other_first["id"]}, 409)) == "other_structure"
    )
    act(feed, recovery["id"], "offset", {"tranche_id": str(uuid.uuid4())}, 422)

    # Before the offset, as of the convention's end: earned 19 687,50 (post 1), paid 54 000, claimed
    # 7 312,50; nothing in payment: 19 687,50 − 54 000 + 7 312,50 = −27 000 to settle.
    earned, recovered = Decimal("19687.50"), Decimal("7312.50")
    before = statement_of(feed, convention)
    assert (before["earned"], before["paid"], before["claimed"], before["to_settle"]) == (
        str(earned),
        "54000.00",
        str(recovered),
        str(earned - Decimal(54000) + recovered),
    )

    offset = act(feed, recovery["id"], "offset", {"tranche_id": second["id"]}, 200, "o1")
    assert (offset["status"], offset["offset_tranche_id"]) == ("offset", second["id"])
    assert act(feed, recovery["id"], "offset", {"tranche_id": second["id"]}, 200, "o1") == offset
    act(feed, recovery["id"], "offset", {"tranche_id": third["id"]}, 409)  # offset already
    history = feed.call("GET", f"/tranches/{second['id']}/history", 200)
    assert history[-1]["reason"].replace("\u202f", " ").replace("\xa0", " ") == (
        "reversement de 7 312,50 € retenu : virement de 46 687,50 € au lieu de 54 000,00 €"
    )
    # Withheld from a tranche not yet paid, it is still claimed: the statement has not moved.
    pending = statement_of(feed, convention)
    assert (pending["paid"], pending["claimed"], pending["to_settle"]) == (
        "54000.00",
        str(recovered),
        before["to_settle"],
    )

    # Tranche 2 is paid through a run: the transfer is 54 000 − 7 312,50 = 46 687,50.
    run, sepa = pay_through_a_run(feed, second, structure["id"], date(2022, 3, 10))
    net = Decimal("54000.00") - recovered
    assert [line["amount"] for line in run["lines"]] == [str(net)]
    assert run["control_sum"] == str(net)
    validate_pain001(sepa)
    assert summary(sepa)["control_sum"] == net

    # The books: the payment settles the whole tranche (54 000); the recovery is money back.
    payments = feed.call("GET", f"/payments?convention_id={convention['convention_id']}", 200)
    assert sorted(p["amount"] for p in payments) == ["54000.00", "54000.00"]
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert (balance["paid"], balance["recoverable"]) == ("108000.00", "0.00")
    # Final statement: paid 108 000 − 7 312,50 = 100 687,50; balance 19 687,50 − 100 687,50 = −81 000;
    # nothing claimed or in payment: −81 000 to settle, the same as before the payment (−27 000 then,
    # with tranche 2's 54 000 not yet paid: −27 000 − 54 000 = −81 000 once it is).
    paid = statement_of(feed, convention)
    assert (paid["paid"], paid["balance"], paid["claimed"], paid["in_payment"], paid["to_settle"]) == (
        str(Decimal(108000) - recovered),
        str(earned - (Decimal(108000) - recovered)),
        "0.00",
        "0.00",
        "-81000.00",
    )


def test_closing_cancels_the_tranche_and_the_offset_recovery_is_due_again(feed):
    structure = feed.structure("974")
    convention = feed.convention(structure, posts=2)
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))
    feed.end_contract(contract, ended_on=date(2021, 9, 20))
    feed.run("issue_recoveries", date(2021, 12, 21))
    [recovery] = recoveries(feed, convention)
    act(feed, recovery["id"], "offset", {"tranche_id": second["id"]}, 200)

    # Closed before tranche 2 was paid: tranche 2 is cancelled, the 7 312,50 was never withheld: issued
    # again. The statement as of the end: earned 19 687,50, paid 54 000, claimed 7 312,50: closing claims
    # 19 687,50 − 54 000 + 7 312,50 = −27 000 more, once (the same euro is not claimed twice).
    feed.end_convention(convention, action="close", on=END, reason="Fin de la convention")

    found = {r["kind"]: r for r in recoveries(feed, convention)}
    assert (found["post_ended"]["status"], found["post_ended"]["offset_tranche_id"]) == ("issued", None)
    assert (found["final_statement"]["status"], found["final_statement"]["recoverable"]) == (
        "issued",
        "27000.00",
    )


def test_an_offset_larger_than_the_tranche_is_refused(feed):
    convention, recovery = reduced_after_payment(feed)
    # Tranche 3 (20 000) was reduced by the avenant to 20 000 − 12 500 = 7 500: the 25 000 cannot be
    # withheld from it (the transfer would not stay above zero).
    third = instalments(feed, convention)[2]
    assert third["amount"] == "7500.00"

    refused = act(feed, recovery["id"], "offset", {"tranche_id": third["id"]}, 409)

    assert code(refused) == "offset_too_large"
    assert refused["message"].replace("\u202f", " ").replace("\xa0", " ") == (
        "Le reversement (25 000,00 €) n'est pas inférieur à ce qui reste à virer sur la tranche n° 3 "
        "(7 500,00 €) : le virement doit rester positif."
    )
    assert recoveries(feed, convention)[0]["status"] == "issued"
