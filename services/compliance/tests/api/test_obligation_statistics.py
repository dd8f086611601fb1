"""The dashboard's overdue obligations by kind (decision 0043), counted in the database: every kind listed,
the structures concerned, and nothing for a structure's token. The obligations come from the events
conventions publishes and the daily scan, as in production."""

from __future__ import annotations

import uuid
from datetime import date

from cnum_shared.testing import bearer

SIGNED = date(2024, 9, 2)
KINDS = (
    "candidate_presentation",
    "candidate_selection",
    "contract_signature",
    "training_entry",
    "certification_exams",
    "thematic_modules",
    "continuing_training",
    "equipment",
    "activity_reporting",
    "post_refill",
    "final_report",
)


def test_overdue_obligations_are_counted_by_kind_with_the_structures_concerned(feed):
    # Two structures (each convention its own). The first's 3 posts wait for a candidate; the second's 2
    # posts, one of which got a candidate on 1 October 2024, who was not selected.
    waiting = feed.convention(signed_on=SIGNED, start=SIGNED, end=date(2027, 9, 1), posts=3)
    presenting = feed.convention(signed_on=SIGNED, start=SIGNED, end=date(2027, 9, 1), posts=2)
    feed.candidate(presenting, presented_on=date(2024, 10, 1), advisor_id=str(uuid.uuid4()))
    before = feed.call("GET", "/statistics/obligations", 200, role="finance")
    # A candidate for each post within 3 months of the signature: due 2 December 2024, overdue from the
    # 3rd; a selection within 1 month of the presentation: due 1 November 2024. The final reports are due
    # 3 months after the end (2027).
    feed.run("scan", date(2024, 12, 3))

    answer = feed.call("GET", "/statistics/obligations", 200, role="legal")

    assert before["overdue"]["total"] == {"obligations": 0, "structures": 0}
    late = {row["kind"]: (row["obligations"], row["structures"]) for row in answer["overdue"]["kinds"]}
    assert list(late) == list(KINDS)  # every kind, in the order of a post's life
    # 3 posts of the first structure + the second's post without a candidate; the second's selection.
    assert late["candidate_presentation"] == (3 + 1, 2)
    assert late["candidate_selection"] == (1, 1)
    assert {kind: counts for kind, counts in late.items() if counts != (0, 0)} == {
        "candidate_presentation": (4, 2),
        "candidate_selection": (1, 1),
    }
    assert answer["overdue"]["total"] == {"obligations": 4 + 1, "structures": 2}
    labels = {row["kind"]: row["label"] for row in answer["overdue"]["kinds"]}
    assert labels["candidate_presentation"] == "Présenter un candidat sur le poste attribué"
    # The figures are those of the list they lead to.
    assert len(feed.obligations(status="overdue", kind="candidate_presentation")) == 4
    assert {o["structure_id"] for o in feed.obligations(status="overdue")} == {
        waiting["structure_id"],
        presenting["structure_id"],
    }


def test_the_counts_are_read_by_the_officers_and_never_by_a_structure(feed):
    convention = feed.convention(signed_on=SIGNED, start=SIGNED, end=date(2027, 9, 1))
    for role in ("compliance", "legal", "finance", "admin", "auditor"):
        assert feed.client.get("/api/v1/statistics/obligations", headers=bearer(role)).status_code == 200
    refused = feed.client.get(
        "/api/v1/statistics/obligations",
        headers=bearer("structure", structure_id=convention["structure_id"]),
    )
    assert refused.status_code == 403
    assert refused.get_json()["status"] == "Forbidden"
    for role in ("service", "reporter"):
        assert feed.client.get("/api/v1/statistics/obligations", headers=bearer(role)).status_code == 403
