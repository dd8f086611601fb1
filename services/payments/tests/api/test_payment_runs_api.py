"""Payment runs over HTTP: built from approved tranches, exported as a valid SEPA file, confirmed by a
second officer, rejected lines returned to `approved`."""

from datetime import date

from sqlalchemy import func, select

from cnum_shared.testing import bearer
from payments.adapters.orm import Payment
from payments.adapters.sepa import summary, validate_pain001


def create(feed, key="run-1", body=None, expected=201, sub="bruno"):
    return feed.call(
        "POST",
        "/payment-runs",
        expected,
        body or {"execution_date": "2026-01-15"},
        sub=sub,
        headers={"Idempotency-Key": key} if key else None,
    )


def test_a_run_is_exported_as_a_valid_sepa_file_and_confirmed_by_another_officer(feed, two_approved, app):
    run = create(feed)
    assert create(feed) == run  # idempotent on its key
    sepa = feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))
    again = feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="chloe"))

    # Tranche 1 of two renewals of 2 posts: Le Tampon 2 × 17 500 = 35 000, Saint-Flour (QPV/ZRR bonus)
    # 2 × 20 000 = 40 000; 75 000 in all.
    assert (run["status"], run["number_of_transactions"], run["control_sum"]) == ("draft", 2, "75000.00")
    assert sepa.status_code == 200 and sepa.mimetype == "application/xml"
    validate_pain001(sepa.data)
    facts = summary(sepa.data)
    assert (facts["number_of_transactions"], str(facts["control_sum"])) == (2, "75000.00")
    assert sorted(facts["end_to_end_ids"]) == sorted(line["end_to_end_id"] for line in run["lines"])
    assert again.data == sepa.data
    pay_alone = feed.call(
        "POST",
        f"/tranches/{two_approved[0]['id']}/pay",
        409,
        {"paid_on": "2026-01-15", "reference": "x"},
        sub="chloe",
        headers={"Idempotency-Key": "alone"},
    )
    assert pay_alone["errors"]["reasons"][0]["code"] == "in_payment_run"
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 403, {"paid_on": "2026-01-16"}, sub="bruno")
    confirmed = feed.call(
        "POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe"
    )

    assert confirmed["status"] == "confirmed"
    assert [feed.call("GET", f"/tranches/{t['id']}", 200)["status"] for t in two_approved] == ["paid", "paid"]
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 2


def test_a_rejected_line_returns_its_tranche_to_approved(feed, two_approved):
    run = create(feed)
    feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe")

    after = feed.call(
        "POST",
        f"/payment-runs/{run['id']}/rejections",
        200,
        {"lines": [{"tranche_id": two_approved[0]["id"], "reason": "AC04 compte clôturé"}]},
        sub="chloe",
    )

    assert [line["status"] for line in after["lines"] if line["tranche_id"] == two_approved[0]["id"]] == [
        "rejected"
    ]
    assert feed.call("GET", f"/tranches/{two_approved[0]['id']}", 200)["status"] == "approved"
    assert feed.call("GET", f"/tranches/{two_approved[1]['id']}", 200)["status"] == "paid"


def test_a_run_needs_approved_tranches_a_key_and_clear_gates(feed, two_approved):
    feed.call("POST", "/payment-runs", 400, {"execution_date": "2026-01-15"})
    unknown = create(
        feed,
        key="run-x",
        body={"execution_date": "2026-01-15", "tranche_ids": ["00000000-0000-0000-0000-000000000009"]},
        expected=409,
    )
    feed.call("POST", "/holds", 201, {"reason": "Gel budgétaire"}, role="admin")
    held = create(feed, key="run-y", expected=409)

    assert "00000000-0000-0000-0000-000000000009" in unknown["errors"]["tranches"]
    assert all("Gel budgétaire" in " ".join(messages) for messages in held["errors"]["tranches"].values())


def test_a_cancelled_run_frees_its_tranches(feed, two_approved):
    run = create(feed)
    feed.call("POST", f"/payment-runs/{run['id']}/cancel", 200)
    second = create(feed, key="run-2")

    assert second["number_of_transactions"] == 2
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 409, {"paid_on": "2026-01-16"}, sub="chloe")


def test_a_run_whose_process_died_is_retried_with_its_key_and_made_once(feed, two_approved, app):
    """The process died twice: once after claiming the key, once after committing the run."""
    from datetime import timedelta

    from payments.adapters.orm import PaymentRun
    from payments.service_layer import idempotency, payment_runs
    from payments.service_layer.commands import ClaimKey, CreatePaymentRun

    context = app.extensions["cnum"]
    body = {"execution_date": "2026-01-15"}
    path = "/api/v1/payment-runs"
    # 1. Died right after claiming the key: a retry at once is told to wait, a retry later takes it over.
    idempotency.claim(
        context.unit_of_work,
        ClaimKey(
            principal="bruno",
            method="POST",
            path=path,
            key="run-crash",
            request_hash=idempotency.body_hash({**body, "tranche_ids": None}),
            now=feed.clock.now(),
        ),
    )
    waiting = feed.client.post(
        path, json=body, headers={**bearer("finance", sub="bruno"), "Idempotency-Key": "run-crash"}
    )
    assert (waiting.status_code, waiting.headers["Retry-After"]) == (409, "1")
    feed.clock.advance(timedelta(seconds=61))
    # 2. Then it died after committing the run but before answering: the run exists, the key has no answer.
    with context.unit_of_work() as uow:
        made = payment_runs.create_run(
            uow,
            CreatePaymentRun(
                None, date(2026, 1, 15), "bruno", date(2026, 1, 10), request_key="bruno:run-crash"
            ),
        )

    retried = create(feed, key="run-crash")

    assert retried["id"] == str(made.id)
    assert retried["number_of_transactions"] == 2
    with context.database.session() as session:
        assert session.scalar(select(func.count()).select_from(PaymentRun)) == 1
    assert create(feed, key="run-crash") == retried


def test_the_runs_are_listed_newest_first_without_their_files_and_filtered_by_status(feed, two_approved):
    first = create(feed)
    feed.call("POST", f"/payment-runs/{first['id']}/cancel", 200)
    second = create(feed, key="run-2")

    listed = feed.call("GET", "/payment-runs", 200, role="auditor")
    assert [run["id"] for run in listed] == [second["id"], first["id"]]
    assert [run["status"] for run in listed] == ["draft", "cancelled"]
    assert listed[0]["control_sum"] == second["control_sum"]
    assert "lines" not in listed[0] and "sepa_xml" not in listed[0]
    assert [run["id"] for run in feed.call("GET", "/payment-runs?status=cancelled", 200)] == [first["id"]]
    feed.call("GET", "/payment-runs?status=paid", 422)
    a_structure = "00000000-0000-0000-0000-000000000001"
    feed.call("GET", "/payment-runs", 403, role="structure", structure_id=a_structure)


def test_the_officer_who_approved_a_tranche_of_the_run_cannot_confirm_it(feed, two_approved, app):
    """Alice approved both tranches and Bruno prepared the run: Alice confirming it would pay tranches
    she approved herself (four eyes), a 403 that names the tranche, not a 500 from the database; the
    preparer gets a 403 too; then Chloé, a third officer, confirms."""
    run = create(feed)
    feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))

    by_approver = feed.call(
        "POST", f"/payment-runs/{run['id']}/confirm", 403, {"paid_on": "2026-01-16"}, sub="alice"
    )
    by_preparer = feed.call(
        "POST", f"/payment-runs/{run['id']}/confirm", 403, {"paid_on": "2026-01-16"}, sub="bruno"
    )

    assert by_approver["code"] == 403
    assert by_approver["message"] == (
        "L'agent qui a approuvé une tranche de l'ordre de virement ne peut pas le confirmer "
        "(double contrôle)."
    )
    assert sorted(by_approver["errors"]["tranches"]) == sorted(t["id"] for t in two_approved)
    assert by_preparer["message"] == (
        "L'agent qui a préparé l'ordre de virement ne peut pas le confirmer (double contrôle)."
    )
    assert feed.call("GET", f"/payment-runs/{run['id']}", 200)["status"] == "exported"
    assert [feed.call("GET", f"/tranches/{t['id']}", 200)["status"] for t in two_approved] == [
        "approved",
        "approved",
    ]
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
    confirmed = feed.call(
        "POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe"
    )
    assert confirmed["status"] == "confirmed"
