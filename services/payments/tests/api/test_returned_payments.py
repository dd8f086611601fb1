"""A line the bank rejects is recorded, never deleted: its payment is kept as `returned` with a history
row, the tranche is paid again, and only `paid` payments count (migration 0009, and its downgrade)."""

from sqlalchemy import text

from cnum_shared.framework.db import create_database_engine, downgrade_database, upgrade_database
from cnum_shared.testing import bearer
from payments.manage import MIGRATIONS_DIR


def rows(url, query):
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def confirmed_run(feed, key):
    run = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-15"},
        sub="bruno",
        headers={"Idempotency-Key": key},
    )
    feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))
    feed.call("POST", f"/payment-runs/{run['id']}/confirm", 200, {"paid_on": "2026-01-16"}, sub="chloe")
    return run


def test_a_returned_payment_is_kept_and_its_tranche_paid_again(feed, two_approved, database_url):
    rejected = two_approved[0]["id"]
    run = confirmed_run(feed, "run-1")

    feed.call(
        "POST",
        f"/payment-runs/{run['id']}/rejections",
        200,
        {"lines": [{"tranche_id": rejected, "reason": "AC04 compte clôturé"}]},
        sub="chloe",
    )
    again = confirmed_run(feed, "run-2")

    assert again["number_of_transactions"] == 1
    assert feed.call("GET", f"/tranches/{rejected}", 200)["status"] == "paid"
    assert sorted(status for (status,) in rows(database_url, "SELECT status FROM payments")) == [
        "paid",
        "paid",
        "returned",
    ]
    assert rows(
        database_url,
        "SELECT from_status, to_status, actor, reason FROM status_changes WHERE machine = 'payment'",
    ) == [("paid", "returned", "chloe", "rejet bancaire : AC04 compte clôturé")]

    # Down to 0008, where a rejection deleted the payment: the returned one goes, the rest stays.
    downgrade_database(database_url, MIGRATIONS_DIR, "0008")
    assert len(rows(database_url, "SELECT id FROM payments")) == 2
    upgrade_database(database_url, MIGRATIONS_DIR)
    assert sorted(status for (status,) in rows(database_url, "SELECT status FROM payments")) == [
        "paid",
        "paid",
    ]
