"""What is signed is what is paid: the avenant's PDF, the conventions API and the payments API agree to
the cent, and a post that ends gives back what article 6 of the signed convention says.

Each case is driven end to end: the conventions service (with the real PDF converter) produces the
convention, its avenant and the contracts; its outbox is delivered to payments as the relay would; the
finance officers approve and pay over the payments API. Every expected figure is worked out here, by
hand, from DESIGN §3 and §4 (the arithmetic is in the comments).
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from cnum_shared.testing import bearer

# A tranche row of the avenant's table as pypdf reads it: "2 1er mars 2022 87 750,00 € — —" (number,
# due date, amount, then what was already paid and what is to recover of it).
_ROW = re.compile(r"^([1-9]) (\d{1,2}(?:er)? [a-zéû]+ \d{4}) ([\d ]+,\d{2}) €(?: .*)?$")


def plain(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in plain(page.extract_text()).splitlines()]


def euros(amount: str) -> Decimal:
    """'87 750,00' as pypdf reads a French amount."""
    return Decimal(amount.replace(" ", "").replace(",", "."))


def avenant_pdf_tranches(feed, convention, amendment) -> dict[int, Decimal]:
    response = feed.conventions.test_client().get(
        f"/api/v1/conventions/{convention['convention_id']}/amendments/{amendment['id']}/document?format=pdf",
        headers=bearer("legal"),
    )
    assert response.status_code == 200, response.get_json()
    rows = [_ROW.match(line) for line in pdf_lines(response.data)]
    return {int(match[1]): euros(match[3]) for match in rows if match}


def conventions_tranches(feed, convention) -> dict[int, Decimal]:
    stated = feed.legal("GET", f"/conventions/{convention['convention_id']}", 200)
    return {tranche["number"]: Decimal(tranche["amount"]) for tranche in stated["tranches"]}


def payments_tranches(feed, convention) -> dict[int, Decimal]:
    """What payments pays or claims back for each tranche: its instalment, plus its supplementary lines,
    less what an avenant's reduction claims back of it."""
    schedule = feed.call("GET", f"/schedules/{convention['convention_id']}", 200)
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    owed = {t["number"]: Decimal(t["amount"]) for t in schedule["tranches"] if t["kind"] == "instalment"}
    for line in schedule["tranches"]:
        if line["kind"] == "regularisation" and line["status"] != "cancelled":
            owed[line["regularises"]] += Decimal(line["amount"])
    for recovery in balance["recoveries"]:
        if recovery["kind"] == "regularisation" and recovery["status"] != "cancelled":
            owed[recovery["tranche_number"]] -= Decimal(recovery["recoverable"])
    return owed


def assert_all_agree(feed, convention, amendment, expected: dict[int, str]) -> None:
    wanted = {number: Decimal(amount) for number, amount in expected.items()}
    assert avenant_pdf_tranches(feed, convention, amendment) == wanted
    assert conventions_tranches(feed, convention) == wanted
    assert payments_tranches(feed, convention) == wanted


def instalments(feed, convention):
    return [t for t in feed.tranches(convention) if t["kind"] == "instalment"]


# --- Avenants -----------------------------------------------------------------------------------------


def test_an_initial_wave_avenant_before_the_second_tranche_is_paid(documented_feed):
    feed = documented_feed
    convention = feed.convention(feed.structure("974"), posts=2)  # 1 March 2021, signed the 15th
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))

    amendment = feed.amend(convention, posts=3, effective_date=date(2021, 9, 1), signed_on=date(2021, 8, 20))

    # La Réunion, public: 67 500 a post over 24 months; 2 posts = 135 000 in tranches of 40 % / 40 % /
    # 20 %: 54 000, 54 000, 27 000. The third post counts from September 2021, month 7: 18 of the 24
    # months, 67 500 × 18 ÷ 24 = 50 625; new total 185 625. The 50 625 go to the tranches due from
    # 1 September 2021 (2: 54 000, 3: 27 000, 81 000 in all) in proportion: 50 625 × 54 000 ÷ 81 000 =
    # 33 750 and 16 875. Tranche 1, paid, is not touched.
    assert amendment["total_amount"] == "185625.00"
    assert_all_agree(feed, convention, amendment, {1: "54000.00", 2: "87750.00", 3: "43875.00"})
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert (balance["total"], balance["paid"], balance["regularisations"]) == ("185625.00", "54000.00", [])


def test_an_initial_wave_avenant_after_the_second_tranche_is_paid_adds_a_payable_line(documented_feed):
    feed = documented_feed
    convention = feed.convention(feed.structure("974"), posts=2)
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    feed.pay_tranche(second, date(2022, 3, 5))

    # The same avenant as above, signed on 1 June 2022 once tranche 2 (54 000) was paid.
    amendment = feed.amend(convention, posts=3, effective_date=date(2021, 9, 1), signed_on=date(2022, 6, 1))

    # Tranche 2 now stands at 87 750 and 54 000 were paid: a supplementary line of 33 750, due on the
    # avenant's signature; tranche 3, unpaid, takes 43 875.
    assert_all_agree(feed, convention, amendment, {1: "54000.00", 2: "87750.00", 3: "43875.00"})
    schedule = feed.tranches(convention)
    assert [(t["number"], t["kind"], t["amount"], t["status"]) for t in schedule] == [
        (1, "instalment", "54000.00", "paid"),
        (2, "instalment", "54000.00", "paid"),
        (3, "instalment", "43875.00", "scheduled"),
        (4, "regularisation", "33750.00", "scheduled"),
    ]
    line = schedule[3]
    assert (line["regularises"], line["amendment_number"]) == (2, 1)
    history = feed.call("GET", f"/tranches/{second['id']}/history", 200)
    assert "complément de 33" in history[-1]["reason"] and "750,00" in history[-1]["reason"]

    # The line is paid like any tranche, without waiting for tranche 3.
    feed.pay_tranche(line, date(2022, 6, 10))
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    # 54 000 + 54 000 + 33 750 = 141 750 paid; 43 875 still to come = 185 625.
    assert (balance["total"], balance["paid"], balance["recoverable"]) == ("185625.00", "141750.00", "0.00")


def test_a_renewal_avenant_across_convention_years(documented_feed):
    feed = documented_feed
    convention = feed.convention(
        feed.structure("974"), wave="renewal", posts=2, start=date(2023, 6, 1), signed_on=date(2023, 6, 15)
    )
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2023, 6, 20))

    amendment = feed.amend(convention, posts=3, effective_date=date(2024, 1, 1), signed_on=date(2024, 1, 10))

    # Renewal, public, La Réunion: 17 500 / 12 500 / 12 500 a post; 2 posts: 35 000, 25 000, 25 000.
    # The third post from January 2024, month 8: year 1 has 5 months left, 17 500 × 5 ÷ 12 = 7 291,666…;
    # years 2 and 3 whole, 12 500 each: 32 291,666… → new total 85 000 + 32 291,67 = 117 291,67. Spread
    # over tranches 2 and 3 (25 000 each): 16 145,835 → 16 145,84, the last takes 16 145,83.
    assert amendment["total_amount"] == "117291.67"
    assert_all_agree(feed, convention, amendment, {1: "35000.00", 2: "41145.84", 3: "41145.83"})


def test_an_overseas_avenant(documented_feed):
    feed = documented_feed
    convention = feed.convention(
        feed.structure("971"), posts=1, start=date(2021, 6, 1), months=30, signed_on=date(2021, 6, 10)
    )
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 6, 15))

    amendment = feed.amend(convention, posts=2, effective_date=date(2022, 6, 1), signed_on=date(2022, 5, 20))

    # Guadeloupe, public: 70 000 a post over 24 funded months (of a 30-month convention): 28 000, 28 000,
    # 14 000. A second post from June 2022, month 13: 70 000 × 12 ÷ 24 = 35 000; total 105 000. Spread
    # over tranches 2 (28 000) and 3 (14 000): 35 000 × 28 000 ÷ 42 000 = 23 333,333… → 23 333,33; the
    # last takes 11 666,67.
    assert amendment["total_amount"] == "105000.00"
    assert_all_agree(feed, convention, amendment, {1: "28000.00", 2: "51333.33", 3: "25666.67"})


def test_a_reduction_after_payment_leaves_a_recovery(documented_feed):
    feed = documented_feed
    convention = feed.convention(feed.structure("15"), posts=2)  # Saint-Flour, 1 March 2021
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    feed.pay_tranche(second, date(2022, 3, 5))

    amendment = feed.amend(
        convention,
        posts=1,
        effective_date=date(2021, 9, 1),
        signed_on=date(2022, 6, 1),
        reason="Un poste rendu",
    )

    # Cantal, public: 50 000 a post (the QPV/ZRR bonus is a renewal one); 2 posts: 40 000, 40 000,
    # 20 000. One post fewer from September 2021 (month 7): 50 000 × 18 ÷ 24 = 37 500 less; total
    # 62 500. Tranches 2 and 3 (40 000 + 20 000 = 60 000) take it in proportion: −25 000 and −12 500.
    # Tranche 2 was paid 40 000 and now stands at 15 000: 25 000 to pay back.
    assert amendment["total_amount"] == "62500.00"
    assert_all_agree(feed, convention, amendment, {1: "40000.00", 2: "15000.00", 3: "7500.00"})
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert (balance["total"], balance["paid"], balance["recoverable"]) == ("62500.00", "80000.00", "25000.00")
    [recovery] = balance["recoveries"]
    assert (recovery["kind"], recovery["status"], recovery["tranche_number"]) == (
        "regularisation",
        "issued",
        2,
    )


# --- A post that ends: article 6 --------------------------------------------------------------------


def convention_pdf_text(feed, convention) -> str:
    """The convention's PDF text on one line (a table cell may wrap)."""
    response = feed.conventions.test_client().get(
        f"/api/v1/conventions/{convention['convention_id']}/document?format=pdf", headers=bearer("legal")
    )
    assert response.status_code == 200, response.get_json()
    return " ".join(pdf_lines(response.data))


def test_an_initial_wave_post_ended_in_month_7(documented_feed):
    feed = documented_feed
    convention = feed.convention(feed.structure("974"), posts=2)
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    contract = feed.contract(convention, start=date(2021, 3, 15))

    feed.end_contract(contract, ended_on=date(2021, 9, 20))

    # Article 6: 67 500 ÷ 24 = 2 812,50 a month. March to September 2021 are months 1 to 7 of the
    # convention: 7 × 2 812,50 = 19 687,50 earned. Paid for the post: 54 000 ÷ 2 = 27 000.
    # 27 000 − 19 687,50 = 7 312,50 to pay back.
    [recovery] = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)["recoveries"]
    assert (recovery["months"], recovery["earned"], recovery["paid"], recovery["recoverable"]) == (
        7,
        "19687.50",
        "27000.00",
        "7312.50",
    )
    assert recovery["periods"] == [
        {"period": 1, "months": 7, "monthly_rate": "2812.50", "earned": "19687.50"}
    ]
    # The signed convention states that rate for the period it applies to.
    assert "du 1er mars 2021 au 28 février 2023 24 67 500,00 € 2 812,50 €" in convention_pdf_text(
        feed, convention
    )


def renewal_of_la_reunion(feed):
    """Le Tampon, 2 posts renewed from 1 June 2023 (signed the 15th): 35 000, 25 000, 25 000."""
    return feed.convention(
        feed.structure("974"), wave="renewal", posts=2, start=date(2023, 6, 1), signed_on=date(2023, 6, 15)
    )


def test_a_renewal_post_ended_in_year_1(documented_feed):
    feed = documented_feed
    convention = renewal_of_la_reunion(feed)
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2023, 6, 20))
    contract = feed.contract(convention, start=date(2023, 6, 15))

    feed.end_contract(contract, ended_on=date(2023, 11, 20))

    # June to November 2023: months 1 to 6, all in year 1 at 17 500 ÷ 12 = 1 458,33 a month:
    # 17 500 × 6 ÷ 12 = 8 750 earned. Paid for the post: 35 000 ÷ 2 = 17 500. 8 750 to pay back.
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    [recovery] = balance["recoveries"]
    assert recovery["periods"] == [{"period": 1, "months": 6, "monthly_rate": "1458.33", "earned": "8750.00"}]
    assert (recovery["earned"], recovery["paid"], recovery["recoverable"]) == (
        "8750.00",
        "17500.00",
        "8750.00",
    )
    assert (recovery["status"], balance["recoverable"]) == ("provisional", "8750.00")
    text = convention_pdf_text(feed, convention)
    assert "du 1er juin 2023 au 31 mai 2024 12 17 500,00 € 1 458,33 €" in text
    assert "du 1er juin 2024 au 31 mai 2025 12 12 500,00 € 1 041,67 €" in text


def test_a_renewal_post_ended_in_year_2(documented_feed):
    feed = documented_feed
    convention = renewal_of_la_reunion(feed)
    first, second, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2023, 6, 20))
    feed.pay_tranche(second, date(2024, 6, 5))
    contract = feed.contract(convention, start=date(2023, 6, 15))

    feed.end_contract(contract, ended_on=date(2024, 12, 10))

    # June 2023 to December 2024: months 1 to 19. Year 1 whole, 17 500; year 2, 7 months of 12 500 ÷ 12:
    # 12 500 × 7 ÷ 12 = 7 291,666… → 7 291,67. Earned 24 791,67. Paid for the post: (35 000 + 25 000)
    # ÷ 2 = 30 000. 30 000 − 24 791,67 = 5 208,33 to pay back.
    [recovery] = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)["recoveries"]
    assert recovery["periods"] == [
        {"period": 1, "months": 12, "monthly_rate": "1458.33", "earned": "17500.00"},
        {"period": 2, "months": 7, "monthly_rate": "1041.67", "earned": "7291.67"},
    ]
    assert (recovery["months"], recovery["earned"], recovery["paid"], recovery["recoverable"]) == (
        19,
        "24791.67",
        "30000.00",
        "5208.33",
    )


def test_a_refill_cancels_the_provisional_recovery(documented_feed):
    feed = documented_feed
    convention = renewal_of_la_reunion(feed)
    first, _, _ = instalments(feed, convention)
    feed.pay_tranche(first, date(2023, 6, 20))
    contract = feed.contract(convention, start=date(2023, 6, 15))
    feed.end_contract(contract, ended_on=date(2023, 11, 20))

    # Before 14 May 2025 a vacated post is refilled within 3 months: by 20 February 2024.
    feed.contract(convention, start=date(2024, 1, 8))

    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    [recovery] = balance["recoveries"]
    assert (recovery["status"], recovery["recoverable"], balance["recoverable"]) == (
        "cancelled",
        "8750.00",
        "0.00",
    )


# --- What the avenant states about money: paid to date, to recover (decision 0025) -------------------


def test_an_avenant_after_a_contract_break_states_what_was_paid_and_what_to_recover(documented_feed):
    feed = documented_feed
    convention = feed.convention(feed.structure("15"), posts=2)  # Saint-Flour, 1 March 2021
    first, second, third = instalments(feed, convention)
    feed.pay_tranche(first, date(2021, 3, 20))
    feed.pay_tranche(second, date(2022, 3, 5))
    path = f"/conventions/{convention['convention_id']}/amendments"

    # Payments' own relay told conventions what it paid: the avenant, drawn up, already states it.
    draft = feed.legal(
        "POST",
        path,
        201,
        {
            "posts": 1,
            "effective_date": "2021-09-01",
            "reason": "Rupture du contrat d'un conseiller",
            "requested_on": "2022-05-02",
            "contract_ended_on": "2021-08-31",
        },
    )
    # A break date after the effective date is refused, in French, on its field.
    refused = feed.legal(
        "POST",
        path,
        422,
        {"posts": 1, "effective_date": "2021-09-01", "reason": "x", "contract_ended_on": "2021-09-02"},
    )
    assert "contract_ended_on" in refused["errors"]["json"]
    signed = feed.legal("POST", f"{path}/{draft['id']}/sign", 200, {"signed_on": "2022-06-01"})
    feed.deliver()

    # Cantal, public: 50 000 a post; 2 posts: 40 000, 40 000, 20 000, tranches 1 and 2 paid: 80 000.
    # One post fewer from September 2021 (month 7): 50 000 × 18 ÷ 24 = 37 500 less; total 62 500.
    # Tranches 2 and 3 (60 000) take it in proportion: 2 becomes 40 000 − 25 000 = 15 000, 3 becomes
    # 20 000 − 12 500 = 7 500. Tranche 2 was paid 40 000: 40 000 − 15 000 = 25 000 to recover.
    paid_to_date = Decimal("40000.00") + Decimal("40000.00")
    to_recover = Decimal("40000.00") - Decimal("15000.00")
    stated = feed.legal("GET", f"{path}/{draft['id']}", 200)
    assert stated == signed
    assert (stated["requested_on"], stated["contract_ended_on"]) == ("2022-05-02", "2021-08-31")
    assert Decimal(stated["paid_to_date"]) == paid_to_date
    assert Decimal(stated["amount_to_recover"]) == to_recover
    rows = {row["number"]: row for row in stated["tranches"]}
    assert [(n, rows[n]["amount"], rows[n]["already_paid"], rows[n]["to_recover"]) for n in (1, 2, 3)] == [
        (1, "40000.00", "40000.00", "0.00"),
        (2, "15000.00", "40000.00", str(to_recover)),
        (3, "7500.00", None, None),
    ]
    # The drafted avenant stated the same figures before it was signed.
    assert (draft["paid_to_date"], draft["amount_to_recover"]) == (str(paid_to_date), str(to_recover))

    # The PDF's schedule, the conventions API and payments agree; payments booked exactly that recovery.
    assert_all_agree(feed, convention, signed, {1: "40000.00", 2: "15000.00", 3: "7500.00"})
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert (Decimal(balance["paid"]), Decimal(balance["recoverable"])) == (paid_to_date, to_recover)
    [recovery] = balance["recoveries"]
    assert (recovery["kind"], recovery["tranche_number"], Decimal(recovery["recoverable"])) == (
        "regularisation",
        2,
        to_recover,
    )
    history = feed.call("GET", f"/tranches/{second['id']}/history", 200)
    assert not any(row["reason"].startswith("écart") for row in history)
    assert third["number"] == 3
