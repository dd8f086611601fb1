"""Schedules from `convention.signed`, every row of DESIGN.md §3 to the cent; due dates; avenants; ends."""

from datetime import date

import pytest

ROWS = [
    ("974", "initial", date(2021, 3, 1), 24, ["27000.00", "27000.00", "13500.00"]),
    ("976", "initial", date(2021, 3, 1), 24, ["27000.00", "27000.00", "13500.00"]),
    ("15", "initial", date(2021, 3, 1), 36, ["20000.00", "20000.00", "10000.00"]),
    # private: 18 months only since issue 14 (32 000 € × 40 % / 40 % / 20 %)
    ("94", "initial", date(2021, 3, 1), 18, ["12800.00", "12800.00", "6400.00"]),
    ("974", "renewal", date(2023, 6, 1), 36, ["17500.00", "12500.00", "12500.00"]),
    ("94", "renewal", date(2023, 6, 1), 36, ["20000.00", "14000.00", "10000.00"]),
]


@pytest.mark.parametrize(("department", "wave", "start", "months", "per_post"), ROWS)
@pytest.mark.parametrize("posts", [1, 3, 7])
def test_each_row_is_scheduled_to_the_cent(feed, department, wave, start, months, per_post, posts):
    convention = feed.convention(
        feed.structure(department), wave=wave, posts=posts, start=start, months=months
    )

    schedule = feed.call("GET", f"/schedules/{convention['convention_id']}", 200)

    amounts = [tranche["amount"] for tranche in schedule["tranches"]]
    assert amounts == [f"{int(float(amount)) * posts}.00" for amount in per_post]
    assert sum(float(amount) for amount in amounts) == pytest.approx(float(schedule["total_amount"]))
    assert schedule["total_amount"] == convention["total_amount"].split(".")[0] + ".00"
    assert [tranche["status"] for tranche in schedule["tranches"]] == ["scheduled"] * 3


def test_a_replayed_signature_schedules_nothing_more(feed):
    convention = feed.convention(feed.structure())
    feed.event("convention.signed", convention)

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


def test_an_avenant_reshapes_the_unpaid_tranches_and_the_total_still_adds_up(feed):
    convention = feed.convention(feed.structure(), posts=2)
    feed.event(
        "convention.amended",
        {
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "reference": convention["reference"],
            "structure": convention["structure"],
            "amendment_id": "8f7e0b5e-4d3c-4b2a-9a1b-0c1d2e3f4a5b",
            "number": 1,
            "posts_before": 2,
            "posts": 3,
            "effective_date": "2022-03-01",
            "signed_on": "2022-02-20",
            "total_amount": "168750.00",
            "reason": "Un poste de plus",
        },
    )

    amounts = [tranche["amount"] for tranche in feed.tranches(convention)]

    # Nothing paid yet: the 33 750.00 more is spread on the three tranches by their weight, the last
    # taking the remainder.
    assert amounts == ["67500.00", "67500.00", "33750.00"]
    assert (
        feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)["total"] == "168750.00"
    )


def test_a_terminated_convention_cancels_its_unpaid_tranches(feed):
    convention = feed.convention(feed.structure())
    feed.event(
        "convention.terminated",
        {
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "reference": convention["reference"],
            "structure": convention["structure"],
            "on": "2021-12-31",
            "reason": "Renonciation",
        },
    )

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
