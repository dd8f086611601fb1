"""Equipment: due by the contract's first day for contracts signed from 1 January 2027; the contracts
signed before keep the 30 days from the signature they were told (the rule in force on the signature)."""

from datetime import date


def equipment_of(feed, contract):
    (found,) = [o for o in feed.obligations(kind="equipment") if o["contract_id"] == contract]
    return found


def test_equipment_is_due_by_the_contract_start_under_the_rule_in_force_on_the_signature(feed):
    convention = feed.convention(
        signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1), posts=3
    )

    before = feed.contract(convention, signed_on=date(2026, 12, 14), start=date(2027, 1, 4))
    after = feed.contract(
        convention, signed_on=date(2027, 1, 11), start=date(2027, 2, 1), end=date(2027, 9, 1)
    )
    # A contract signed after it started (an advisor kept on a renewal): never due before it exists.
    late = feed.contract(
        convention, signed_on=date(2027, 3, 15), start=date(2027, 3, 1), end=date(2027, 9, 1)
    )

    # signed 14 December 2026, before the new rule: 14 December + 30 days = 13 January 2027
    assert equipment_of(feed, before)["due_on"] == "2027-01-13"
    # signed 11 January 2027: due on its first day, 1 February 2027 (+ 0 days)
    assert equipment_of(feed, after)["due_on"] == "2027-02-01"
    # signed 15 March 2027 for a start on 1 March: due on the signature, 15 March 2027
    assert equipment_of(feed, late)["due_on"] == "2027-03-15"
    assert {equipment_of(feed, c)["source"] for c in (before, after, late)} == {"assumption"}


def test_the_first_day_rule_makes_the_equipment_overdue_the_day_after_the_start(feed):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    contract = feed.contract(
        convention, signed_on=date(2027, 1, 11), start=date(2027, 2, 1), end=date(2027, 9, 1)
    )

    feed.run("scan", date(2027, 2, 1))
    on_the_first_day = equipment_of(feed, contract)["status"]
    feed.run("scan", date(2027, 2, 2))

    # due 1 February 2027: on time that day (due soon since 17 January, 15 days before), overdue on the 2nd
    assert on_the_first_day == "due_soon"
    assert equipment_of(feed, contract)["status"] == "overdue"
