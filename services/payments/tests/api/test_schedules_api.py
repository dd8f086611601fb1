"""Schedules from `convention.signed`, every row of DESIGN.md §3 to the cent; due dates; avenants; ends."""

from datetime import date
from decimal import Decimal

import pytest

# Per post, from DESIGN §3: initial wave 40 % / 40 % / 20 % of the amount per post; renewal, one tranche
# per convention year at that year's amount.
ROWS = [
    # La Réunion, public: 67 500 × 40 % = 27 000, 27 000, 67 500 × 20 % = 13 500.
    ("974", "initial", date(2021, 3, 1), 24, ["27000.00", "27000.00", "13500.00"]),
    # Mayotte, public: the same 67 500.
    ("976", "initial", date(2021, 3, 1), 24, ["27000.00", "27000.00", "13500.00"]),
    # Guadeloupe, public: 70 000 × 40 % = 28 000, 28 000, 14 000 (36 months, 24 funded).
    ("971", "initial", date(2021, 6, 1), 36, ["28000.00", "28000.00", "14000.00"]),
    # Cantal, public: 50 000 → 20 000, 20 000, 10 000.
    ("15", "initial", date(2021, 3, 1), 36, ["20000.00", "20000.00", "10000.00"]),
    # Private, 18 months: 32 000 → 12 800, 12 800, 6 400.
    ("94", "initial", date(2021, 3, 1), 18, ["12800.00", "12800.00", "6400.00"]),
    # Renewal, public: 17 500, 12 500, 12 500; with the QPV/ZRR bonus (Saint-Flour): 20 000, 17 500, 12 500.
    ("974", "renewal", date(2023, 6, 1), 36, ["17500.00", "12500.00", "12500.00"]),
    ("15", "renewal", date(2023, 6, 1), 36, ["20000.00", "17500.00", "12500.00"]),
    # Renewal, private: 20 000, 14 000, 10 000.
    ("94", "renewal", date(2023, 6, 1), 36, ["20000.00", "14000.00", "10000.00"]),
]


@pytest.mark.parametrize(("department", "wave", "start", "months", "per_post"), ROWS)
@pytest.mark.parametrize("posts", [1, 3, 7])
def test_each_row_is_scheduled_to_the_cent(feed, department, wave, start, months, per_post, posts):
    convention = feed.convention(
        feed.structure(department), wave=wave, posts=posts, start=start, months=months
    )

    schedule = feed.call("GET", f"/schedules/{convention['convention_id']}", 200)

    expected = [str(Decimal(amount) * posts) for amount in per_post]
    assert [tranche["amount"] for tranche in schedule["tranches"]] == expected
    assert schedule["total_amount"] == str(sum((Decimal(amount) for amount in expected), Decimal(0)))
    # What payments schedules is what the conventions service states, tranche by tranche.
    assert [(t["number"], t["amount"]) for t in schedule["tranches"]] == [
        (t["number"], t["amount"]) for t in convention["tranches"]
    ]
    assert [tranche["status"] for tranche in schedule["tranches"]] == ["scheduled"] * 3


def test_a_replayed_signature_schedules_nothing_more(feed):
    structure = feed.structure()
    convention = feed.convention(structure)
    signed = next(e for e in feed.delivered if e["type"] == "convention.signed")

    replay = feed.client.post("/api/v1/events", json=signed, headers=feed.service_headers())

    assert replay.status_code == 200
    assert len(feed.tranches(convention)) == 3


def test_tranches_fall_due_on_their_date_with_a_history_row_and_an_event(feed, app):
    from sqlalchemy import select

    from payments.adapters.orm import event_tables

    convention = feed.convention(feed.structure())

    assert feed.run("mark_due", date(2021, 3, 14)) == "0 tranche(s) échue(s)"
    assert feed.run("mark_due", date(2021, 3, 15)) == "1 tranche(s) échue(s)"
    assert feed.run("mark_due", date(2021, 3, 15)) == "0 tranche(s) échue(s)"
    statuses = [tranche["status"] for tranche in feed.tranches(convention)]
    first = feed.tranches(convention)[0]
    history = feed.call("GET", f"/tranches/{first['id']}/history", 200)

    assert statuses == ["due", "scheduled", "scheduled"]
    assert [(row["from_status"], row["to_status"]) for row in history] == [
        (None, "scheduled"),
        ("scheduled", "due"),
    ]
    with app.extensions["cnum"].database.session() as session:
        assert list(session.scalars(select(event_tables.outbox.c.type))) == ["tranche.due"]


def test_an_avenant_sets_the_unpaid_tranches_as_the_conventions_service_states_them(feed):
    convention = feed.convention(feed.structure("974"), posts=2)
    feed.amend(convention, posts=3, effective_date=date(2022, 3, 1), signed_on=date(2022, 2, 20))

    amounts = [tranche["amount"] for tranche in feed.tranches(convention)]

    # La Réunion, 67 500 a post: 2 posts = 135 000, tranches 54 000 / 54 000 / 27 000. A third post from
    # March 2022, month 13 of 24: 67 500 × 12 ÷ 24 = 33 750 more, spread over the tranches due from the
    # effective date (2 and 3, 54 000 and 27 000) in proportion: +22 500 and +11 250.
    assert amounts == ["54000.00", "76500.00", "38250.00"]
    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)
    assert balance["total"] == "168750.00"
    assert balance["regularisations"] == [] and balance["recoveries"] == []


def test_a_terminated_convention_cancels_its_unpaid_tranches(feed):
    convention = feed.convention(feed.structure())
    feed.end_convention(convention, on=date(2021, 12, 31))

    schedule = feed.call("GET", f"/schedules/{convention['convention_id']}", 200)

    assert schedule["status"] == "terminated"
    assert [tranche["status"] for tranche in schedule["tranches"]] == ["cancelled"] * 3


def test_who_reads_schedules_and_tranches(feed):
    structure = feed.structure()
    convention = feed.convention(structure)
    path = f"/schedules/{convention['convention_id']}"

    feed.call("GET", path, 200, role="structure", structure_id=structure["id"])
    feed.call("GET", path, 404, role="structure", structure_id="00000000-0000-0000-0000-000000000001")
    feed.call("GET", "/tranches", 403, role="structure", structure_id=structure["id"])
    feed.call("GET", "/tranches", 403, role="legal")
    assert len(feed.call("GET", "/tranches?status=scheduled", 200, role="auditor")) == 3
    feed.call("GET", "/schedules/00000000-0000-0000-0000-000000000002", 404)


def test_the_tranche_list_names_the_convention_and_the_structure(feed):
    structure = feed.structure()
    convention = feed.convention(structure)

    listed = feed.call("GET", f"/tranches?convention_id={convention['convention_id']}", 200)

    assert [tranche["number"] for tranche in listed] == [1, 2, 3]
    assert {tranche["convention_reference"] for tranche in listed} == {convention["reference"]}
    assert {tranche["structure_name"] for tranche in listed} == {structure["details"]["name"]}


def test_another_structure_s_schedule_is_answered_as_one_that_does_not_exist(feed):
    structure = feed.structure()
    convention = feed.convention(structure)
    other = "00000000-0000-4000-8000-000000000001"

    foreign = feed.call(
        "GET", f"/schedules/{convention['convention_id']}", 404, role="structure", structure_id=other
    )
    unknown = feed.call(
        "GET", "/schedules/00000000-0000-4000-8000-000000000002", 404, role="structure", structure_id=other
    )

    assert foreign == unknown
    assert foreign["message"] == "Aucun échéancier pour cette convention."
