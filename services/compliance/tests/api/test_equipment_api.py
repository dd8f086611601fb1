"""Equipment: due by the contract's first day (the advisor needs it for the mission from the start);
never before the contract is signed."""

from datetime import date


def equipment_of(feed, contract):
    (found,) = [o for o in feed.obligations(kind="equipment") if o["contract_id"] == contract]
    return found


def test_equipment_is_due_by_the_contract_start(feed):
    convention = feed.convention(
        signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1), posts=3
    )

    first = feed.contract(convention, signed_on=date(2024, 12, 14), start=date(2025, 1, 6))
    later = feed.contract(
        convention, signed_on=date(2026, 1, 12), start=date(2026, 2, 2), end=date(2027, 9, 1)
    )
    # A contract signed after it started (an advisor kept on a renewal): never due before it exists.
    late = feed.contract(
        convention, signed_on=date(2026, 3, 16), start=date(2026, 3, 2), end=date(2027, 9, 1)
    )

    # signed 14 December 2024 for a start on 6 January 2025: due on its first day, 6 January 2025
    assert equipment_of(feed, first)["due_on"] == "2025-01-06"
    # signed 12 January 2026 for a start on 2 February 2026: due 2 February 2026
    assert equipment_of(feed, later)["due_on"] == "2026-02-02"
    # signed 16 March 2026 for a start on 2 March: due on the signature, 16 March 2026
    assert equipment_of(feed, late)["due_on"] == "2026-03-16"
    assert "5j6896" in equipment_of(feed, later)["source"]


def test_the_equipment_is_overdue_the_day_after_the_start(feed):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    contract = feed.contract(
        convention, signed_on=date(2026, 1, 12), start=date(2026, 2, 2), end=date(2027, 9, 1)
    )

    feed.run("scan", date(2026, 2, 2))
    on_the_first_day = equipment_of(feed, contract)["status"]
    feed.run("scan", date(2026, 2, 3))

    # due 2 February 2026: on time that day (due soon since 18 January, 15 days before), overdue on the 3rd
    assert on_the_first_day == "due_soon"
    assert equipment_of(feed, contract)["status"] == "overdue"
