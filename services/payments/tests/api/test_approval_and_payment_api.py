"""Approval behind its gates (409 listing every reason), four eyes, and payment once whatever the keys."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer
from payments.adapters.orm import Payment, SmicCheck


@pytest.fixture
def due(feed):
    """A renewal convention in La Réunion (2 posts from 1 September 2024), its first tranches due on
    10 January 2026."""
    structure = feed.structure("974")
    convention = feed.convention(
        structure, wave="renewal", start=date(2024, 9, 1), months=36, signed_on=date(2024, 9, 1)
    )
    feed.run("mark_due", date(2026, 1, 10))
    feed.on(date(2026, 1, 10))
    tranches = feed.tranches(convention)
    return structure, convention, tranches


def codes(refusal):
    return [reason["code"] for reason in refusal["errors"]["reasons"]]


def approve(feed, tranche, expected, sub="alice"):
    return feed.call("POST", f"/tranches/{tranche['id']}/approve", expected, {}, sub=sub)


def pay(feed, tranche, key, expected, sub="bruno", paid_on="2026-01-12", reference="VIR-2026-001"):
    return feed.call(
        "POST",
        f"/tranches/{tranche['id']}/pay",
        expected,
        {"paid_on": paid_on, "reference": reference},
        sub=sub,
        headers={"Idempotency-Key": key} if key else None,
    )


def test_an_unknown_standing_blocks_approval_fail_closed(feed, due):
    _, _, tranches = due

    refused = approve(feed, tranches[0], 409)

    assert codes(refused) == ["standing_unknown"]
    assert feed.call("GET", f"/tranches/{tranches[0]['id']}", 200)["status"] == "blocked"


def test_every_blocking_reason_is_listed_at_once(feed, due):
    structure, convention, tranches = due
    feed.standing(structure["id"], overdue=[("training_entry", date(2026, 1, 5))])
    feed.contract(convention, salary="1801.80", start=date(2025, 12, 1))
    feed.call("POST", "/holds", 201, {"reason": "Gel budgétaire 2025"}, role="admin")

    refused = approve(feed, tranches[0], 409)

    assert codes(refused) == ["on_hold", "overdue_obligation", "below_smic"]
    messages = " ".join(reason["message"] for reason in refused["errors"]["reasons"])
    assert "entrée en formation, échue le 5 janvier 2026" in messages
    assert (
        "1\u202f801,80\xa0€" in messages
        and "1\u202f823,03\xa0€" in messages
        and "1er janvier 2026" in messages
    )
    assert "Gel budgétaire 2025" in messages


def test_a_tranche_not_yet_due_or_out_of_order_is_refused(feed, due):
    structure, _, tranches = due
    feed.standing(structure["id"])

    assert codes(approve(feed, tranches[2], 409)) == ["not_due", "out_of_order"]


def test_approval_passes_when_the_gates_clear_and_the_approver_cannot_pay(feed, due):
    structure, convention, tranches = due
    feed.standing(structure["id"], overdue=[("equipment", date(2026, 1, 1))])
    approve(feed, tranches[0], 409)
    feed.standing(structure["id"])
    feed.contract(convention, salary="1823.03", start=date(2025, 12, 1))

    approved = approve(feed, tranches[0], 200)
    four_eyes = pay(feed, tranches[0], "k-1", 403, sub="alice")
    paid = pay(feed, tranches[0], "k-2", 201)

    assert (approved["status"], approved["approved_by"]) == ("approved", "alice")
    assert "double contrôle" in four_eyes["message"]
    assert (paid["amount"], paid["approved_by"], paid["paid_by"], paid["paid_on"]) == (
        "35000.00",
        "alice",
        "bruno",
        "2026-01-12",
    )
    history = feed.call("GET", f"/tranches/{tranches[0]['id']}/history", 200)
    assert [row["to_status"] for row in history] == ["scheduled", "due", "blocked", "approved", "paid"]
    assert history[2]["actor"] == "alice" and "équipement" in history[2]["reason"]
    checks = feed.call("GET", "/smic-checks", 200)
    assert [(check["trigger"], check["passed"]) for check in checks] == [
        ("contract_signed", True),
        ("approval", True),
    ]


@pytest.fixture
def approved(feed, due):
    structure, _, tranches = due
    feed.standing(structure["id"])
    approve(feed, tranches[0], 200)
    return tranches[0]


def test_paying_needs_an_idempotency_key_checked_before_the_body(feed, approved):
    missing = feed.call("POST", f"/tranches/{approved['id']}/pay", 400, {"nonsense": True})

    assert "Idempotency-Key" in missing["message"]


def test_a_replay_gets_the_first_answer_and_another_body_is_refused(feed, approved):
    first = pay(feed, approved, "retry-1", 201)
    replay = pay(feed, approved, "retry-1", 201)
    other_body = pay(feed, approved, "retry-1", 422, reference="VIR-AUTRE")
    other_key = pay(feed, approved, "retry-2", 409)

    assert replay == first
    assert "autre demande" in other_body["message"]
    assert codes(other_key) == ["already_paid"]


def test_a_refused_payment_frees_its_key_for_a_retry(feed, due):
    structure, _, tranches = due
    feed.standing(structure["id"])

    refused = pay(feed, tranches[0], "key-a", 409)
    approve(feed, tranches[0], 200)
    paid = pay(feed, tranches[0], "key-a", 201)

    assert codes(refused) == ["not_approved"]
    assert paid["tranche_id"] == tranches[0]["id"]


def test_twenty_concurrent_payments_with_different_keys_pay_once(feed, approved, app):
    def attempt(number):
        response = app.test_client().post(
            f"/api/v1/tranches/{approved['id']}/pay",
            json={"paid_on": "2026-01-12", "reference": "VIR-2026-001"},
            headers={**bearer("finance", sub="bruno"), "Idempotency-Key": f"concurrent-{number}"},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))

    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409}
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_hold_on_one_structure_blocks_only_its_payments_and_can_be_lifted(feed, due):
    structure, _, tranches = due
    feed.standing(structure["id"])
    hold = feed.call(
        "POST", "/holds", 201, {"structure_id": structure["id"], "reason": "Contrôle en cours"}, role="admin"
    )
    feed.call("POST", "/holds", 403, {"reason": "x"}, role="finance")

    assert codes(approve(feed, tranches[0], 409)) == ["on_hold"]
    feed.call("DELETE", f"/holds/{hold['id']}", 200, role="admin")
    assert approve(feed, tranches[0], 200)["status"] == "approved"


def test_the_smic_is_rechecked_at_each_revaluation_during_a_contract(feed, app):
    structure = feed.structure("976")
    convention = feed.convention(
        structure, wave="renewal", start=date(2024, 1, 1), months=36, signed_on=date(2024, 1, 10)
    )
    contract = feed.contract(convention, salary="1400.00", start=date(2024, 3, 1), end=date(2026, 2, 28))

    assert feed.run("smic_recheck", date(2026, 2, 1)) == "2 contrôle(s) SMIC aux revalorisations"
    assert feed.run("smic_recheck", date(2026, 2, 1)) == "0 contrôle(s) SMIC aux revalorisations"
    checks = feed.call("GET", f"/smic-checks?contract_id={contract}", 200)

    assert [(c["checked_on"], c["trigger"], c["smic_monthly"], c["passed"]) for c in checks] == [
        ("2024-03-01", "contract_signed", "1334.67", True),
        ("2024-11-01", "smic_revaluation", "1361.97", True),
        ("2026-01-01", "smic_revaluation", "1415.05", False),
    ]
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(SmicCheck)) == 3


def test_a_post_that_ends_early_owes_back_what_was_paid_beyond_its_months(feed, due):
    structure, convention, tranches = due
    feed.standing(structure["id"])
    approve(feed, tranches[0], 200)
    pay(feed, tranches[0], "k", 201)
    contract = feed.contract(convention, salary="1900.00", start=date(2025, 9, 1))
    feed.end_contract(contract, ended_on=date(2025, 11, 30))

    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)

    # Renewal in La Réunion, 2 posts: 17 500 + 12 500 + 12 500 a post. Tranche 1 (2 × 17 500 = 35 000)
    # paid: 17 500 a post. The post was occupied from 1 September to 30 November 2025, months 13 to 15 of
    # the convention (started 1 September 2024), all in year 2: 3 × 12 500 ÷ 12 = 3 125 earned.
    # 17 500 − 3 125 = 14 375 to pay back.
    assert (balance["total"], balance["paid"], balance["recoverable"]) == ("85000.00", "35000.00", "14375.00")
    [recovery] = balance["recoveries"]
    assert (recovery["kind"], recovery["status"], recovery["months"]) == ("post_ended", "provisional", 3)
    assert recovery["periods"] == [{"period": 2, "months": 3, "monthly_rate": "1041.67", "earned": "3125.00"}]
    assert (recovery["earned"], recovery["paid"], recovery["recoverable"]) == (
        "3125.00",
        "17500.00",
        "14375.00",
    )


def test_a_refilled_post_owes_nothing_back(feed, due):
    _, convention, _ = due
    contract = feed.contract(convention, salary="1900.00", start=date(2025, 9, 1))
    feed.end_contract(contract, ended_on=date(2025, 11, 30))
    feed.contract(convention, salary="1900.00", start=date(2026, 1, 5))

    balance = feed.call("GET", f"/conventions/{convention['convention_id']}/balance", 200)

    assert balance["recoverable"] == "0.00"
    assert [r["status"] for r in balance["recoveries"]] == ["cancelled"]


def test_a_key_whose_first_request_is_still_running_gets_a_409_with_retry_after(feed, approved, app):
    from payments.service_layer import idempotency
    from payments.service_layer.commands import ClaimKey

    body = {"paid_on": "2026-01-12", "reference": "VIR-2026-001"}
    idempotency.claim(
        app.extensions["cnum"].unit_of_work,
        ClaimKey(
            principal="bruno",
            method="POST",
            path=f"/api/v1/tranches/{approved['id']}/pay",
            key="in-flight",
            request_hash=idempotency.body_hash(body),
            now=feed.clock.now(),
        ),
    )

    response = feed.client.post(
        f"/api/v1/tranches/{approved['id']}/pay",
        json=body,
        headers={**bearer("finance", sub="bruno"), "Idempotency-Key": "in-flight"},
    )

    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert feed.call("GET", f"/tranches/{approved['id']}", 200)["status"] == "approved"


def test_approving_twice_is_a_conflict(feed, approved):
    again = approve(feed, approved, 409)

    assert codes(again) == ["invalid_transition"]
