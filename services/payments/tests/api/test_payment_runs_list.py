"""`GET /payment-runs` over HTTP: a summary of each run, newest first, a page at a time, for finance and
the readers."""

import json

from cnum_shared.testing import bearer


def run_of(feed, tranche, key):
    return feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-15", "tranche_ids": [tranche["id"]]},
        sub="bruno",
        headers={"Idempotency-Key": key},
    )


def test_no_run_yet_is_an_empty_page(feed):
    response = feed.client.get("/api/v1/payment-runs", headers=bearer("finance"))

    assert response.status_code == 200
    assert response.get_json() == []
    assert json.loads(response.headers["X-Pagination"])["total"] == 0


def test_the_runs_come_a_page_at_a_time_newest_first_as_summaries(feed, two_approved):
    older = run_of(feed, two_approved[0], "run-a")
    newer = run_of(feed, two_approved[1], "run-b")

    first = feed.client.get("/api/v1/payment-runs?page_size=1", headers=bearer("finance"))
    second = feed.client.get("/api/v1/payment-runs?page=2&page_size=1", headers=bearer("admin"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert [run["id"] for run in first.get_json()] == [newer["id"]]
    assert [run["id"] for run in second.get_json()] == [older["id"]]
    pagination = json.loads(first.headers["X-Pagination"])
    assert (pagination["total"], pagination["total_pages"]) == (2, 2)
    (summary,) = first.get_json()
    assert summary["status"] == "draft"
    assert (summary["number_of_transactions"], summary["control_sum"]) == (1, newer["control_sum"])
    assert (summary["execution_date"], summary["created_by"]) == ("2026-01-15", "bruno")
    assert summary["exported_at"] is None and summary["confirmed_by"] is None
    assert "lines" not in summary


def test_the_status_filter_keeps_the_runs_in_that_status(feed, two_approved):
    cancelled = run_of(feed, two_approved[0], "run-a")
    feed.call("POST", f"/payment-runs/{cancelled['id']}/cancel", 200)
    draft = run_of(feed, two_approved[1], "run-b")

    assert [run["id"] for run in feed.call("GET", "/payment-runs?status=draft", 200)] == [draft["id"]]
    assert [run["id"] for run in feed.call("GET", "/payment-runs?status=cancelled", 200)] == [cancelled["id"]]
    assert feed.call("GET", "/payment-runs?status=confirmed", 200, role="auditor") == []


def test_an_unknown_status_or_a_page_too_large_is_refused(feed):
    refused = feed.call("GET", "/payment-runs?status=paid", 422)
    assert "status" in json.dumps(refused["errors"])
    feed.call("GET", "/payment-runs?page_size=101", 422)


def test_only_finance_and_the_readers_list_the_runs(feed):
    for role in ("finance", "admin", "auditor"):
        feed.call("GET", "/payment-runs", 200, role=role)
    feed.call("GET", "/payment-runs", 403, role="compliance")
    feed.call("GET", "/payment-runs", 403, role="legal")
    a_structure = "00000000-0000-0000-0000-000000000001"
    feed.call("GET", "/payment-runs", 403, role="structure", structure_id=a_structure)
    assert feed.client.get("/api/v1/payment-runs").status_code == 401
