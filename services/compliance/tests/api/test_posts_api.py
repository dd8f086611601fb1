"""A post granted by a signed convention is followed from the signature until a candidate is presented on
it or a contract signed (Seine-Maritime prefecture, 2021: recruitment « dans un délai de 3 mois »)."""

import uuid
from datetime import date

SIGNED = date(2024, 9, 2)  # a renewal convention, signed before the 2025 freeze
START, END = date(2024, 9, 2), date(2027, 9, 1)  # 36 months


def presentations(feed):
    return sorted((o["due_on"], o["status"]) for o in feed.obligations(kind="candidate_presentation"))


def test_each_granted_post_waits_for_a_candidate_presentation_from_the_signature(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=3)

    opened = feed.obligations(kind="candidate_presentation")

    # signed 2 September 2024 + 3 months = 2 December 2024, for each of the 3 posts
    assert [(o["due_on"], o["status"]) for o in opened] == [("2024-12-02", "open")] * 3
    assert all("Seine-Maritime" in o["source"] and "3 mois" in o["source"] for o in opened)
    assert {o["convention_id"] for o in opened} == {convention["convention_id"]}


def test_a_presentation_or_a_contract_settles_one_post_and_an_advisor_counts_once(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=3)
    anne, bruno = str(uuid.uuid4()), str(uuid.uuid4())

    feed.candidate(convention, presented_on=date(2024, 10, 1), advisor_id=anne)
    after_anne = presentations(feed)
    feed.candidate(convention, presented_on=date(2024, 10, 8), advisor_id=anne)  # presented again
    feed.contract(convention, signed_on=date(2024, 10, 21), start=date(2024, 11, 4), advisor_id=anne)
    after_anne_hired = presentations(feed)
    # Bruno is hired without a presentation (DESIGN §5: a prior presentation is not required).
    feed.contract(convention, signed_on=date(2024, 11, 4), start=date(2024, 11, 4), advisor_id=bruno)
    feed.run("scan", date(2024, 12, 2))
    on_its_due_day = presentations(feed)
    feed.run("scan", date(2024, 12, 3))
    standing = feed.call("GET", f"/structures/{convention['structure_id']}/standing", 200, role="finance")

    assert after_anne == [("2024-12-02", "fulfilled"), ("2024-12-02", "open"), ("2024-12-02", "open")]
    assert after_anne_hired == after_anne  # Anne presented twice and then hired: still one post
    # Bruno's contract filled the second post; the third is on time on 2 December, overdue from the 3rd.
    assert on_its_due_day == [
        ("2024-12-02", "due_soon"),
        ("2024-12-02", "fulfilled"),
        ("2024-12-02", "fulfilled"),
    ]
    assert presentations(feed) == [
        ("2024-12-02", "fulfilled"),
        ("2024-12-02", "fulfilled"),
        ("2024-12-02", "overdue"),
    ]
    assert standing["blocking"] is True
    # (Anne's selection and both advisors' training entry are overdue too: not this test's subject.)
    assert ("candidate_presentation", "2024-12-02") in [(o["kind"], o["due_on"]) for o in standing["overdue"]]
    late = feed.obligations(kind="candidate_presentation", status="overdue")[0]
    history = feed.call("GET", f"/obligations/{late['id']}/history", 200)
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "open"),
        ("open", "due_soon"),
        ("due_soon", "overdue"),
    ]
    assert "poste n° 3" in history[0]["reason"]


def test_an_avenant_adding_posts_opens_them_and_one_taking_posts_back_lifts_those_still_to_fill(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=2)
    feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 10, 1))  # fills post 1

    # Avenant 1, signed 20 September, effective 1 October: from 2 to 4 posts.
    feed.amended(
        convention,
        number=1,
        posts_before=2,
        posts=4,
        signed_on=date(2024, 9, 20),
        effective_date=date(2024, 10, 1),
    )
    after_adding = presentations(feed)
    # Avenant 2, signed 15 November: from 4 posts back to 1.
    feed.amended(
        convention,
        number=2,
        posts_before=4,
        posts=1,
        signed_on=date(2024, 11, 15),
        effective_date=date(2024, 12, 1),
    )
    after_giving_back = presentations(feed)

    assert after_adding == [
        ("2024-12-02", "fulfilled"),  # post 1: signed 2 September + 3 months
        ("2024-12-02", "open"),  # post 2
        # posts 3 and 4: the avenant binds once signed (20 September) and the posts exist from its
        # effective date (1 October), the later of the two: 1 October 2024 + 3 months = 1 January 2025
        ("2025-01-01", "open"),
        ("2025-01-01", "open"),
    ]
    # 3 posts given back: the 3 still waiting for a candidate are lifted; the filled one stays.
    assert after_giving_back == [
        ("2024-12-02", "fulfilled"),
        ("2024-12-02", "waived"),
        ("2025-01-01", "waived"),
        ("2025-01-01", "waived"),
    ]
    lifted = feed.obligations(kind="candidate_presentation", status="waived")
    reasons = {feed.call("GET", f"/obligations/{o['id']}/history", 200)[-1]["reason"] for o in lifted}
    assert reasons == {"poste restitué par l'avenant n° 2 du 2024-11-15 (4 → 1 postes)"}


def test_giving_back_a_vacated_post_lifts_its_refill(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=2)
    leaving = feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 10, 1))
    feed.contract(convention, signed_on=date(2024, 9, 23), start=date(2024, 10, 1))
    feed.contract_ended(convention, leaving, date(2024, 12, 31))
    refill = feed.obligations(kind="post_refill")[0]

    feed.amended(
        convention,
        number=1,
        posts_before=2,
        posts=1,
        signed_on=date(2025, 1, 20),
        effective_date=date(2025, 2, 1),
    )

    # ended 31 December 2024, before the 2025-05-14 rule: + 3 months = 31 March 2025
    assert refill["due_on"] == "2025-03-31"
    assert feed.call("GET", f"/obligations/{refill['id']}", 200)["status"] == "waived"
    assert presentations(feed) == [("2024-12-02", "fulfilled"), ("2024-12-02", "fulfilled")]


def test_a_terminated_convention_no_longer_waits_for_candidates(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=2)
    feed.event(
        "convention.terminated",
        {
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "reference": convention["reference"],
            "structure": convention["structure"],
            "on": "2024-11-30",
            "reason": "abandon du recrutement",
        },
    )

    assert presentations(feed) == [("2024-12-02", "waived"), ("2024-12-02", "waived")]
