"""Issue 15, point 1: payments believes an event only from its producer (DESIGN §2).

The three forgeries of the issue are replayed with a `service` token that is not the producer's, and
payments is then read through its API: the IBAN paid, the standing that gates approval, the schedules.
An event is refused (403) when its `producer` is not the service DESIGN names for its type or not the
token's `sub`; a future `occurred_at` is a 422; a producer's events are ordered by its own sequence.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer, post_event, relay_bearer
from payments.adapters.orm import event_tables

GENUINE_IBAN = "FR7619806000000097443000114"  # the Commune du Tampon's, as the legal officer entered it
FORGED_IBAN = "FR7630004000031234567890143"
FAR_FUTURE = "2099-12-31T23:00:00+00:00"
FUTURE = "Événement refusé : sa date (occurred_at) est dans le futur."


def refusal(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status and {"code", "status", "message"} <= set(body) <= {
        "code",
        "status",
        "message",
        "errors",
    }
    return body


def not_the_producer(sub, producer):
    return (
        "Événement refusé : un service ne transmet que ses propres événements, et le jeton de "
        f"« {sub} » ne peut pas remettre un événement du service « {producer} »."
    )


def not_its_type(event_type, producer, claimed):
    return (
        f"Événement refusé : « {event_type} » n'est émis que par le service « {producer} », "
        f"pas par « {claimed} »."
    )


def inbox_size(app):
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(event_tables.inbox))


@pytest.fixture
def tampon(feed):
    """Le Tampon's renewal (2 posts from 1 September 2024): its tranche 1 due, the standing still unknown."""
    structure = feed.structure("974")
    convention = feed.convention(
        structure, wave="renewal", start=date(2024, 9, 1), months=36, signed_on=date(2024, 9, 1)
    )
    feed.run("mark_due", date(2026, 1, 10))
    feed.on(date(2026, 1, 10))
    return structure, convention, feed.tranches(convention)[0]


def test_a_forged_iban_dated_far_ahead_changes_nothing_and_the_genuine_update_is_paid(feed, tampon, app):
    structure, _, tranche = tampon
    genuine = next(e for e in feed.delivered if e["type"] == "structure.updated")
    forged = {
        **genuine,
        "id": str(uuid.uuid4()),
        "occurred_at": FAR_FUTURE,
        "sequence": genuine["sequence"] + 1_000_000,
        "data": {**genuine["data"], "iban": FORGED_IBAN, "bic": "BNPAFRPP"},
    }
    before = inbox_size(app)

    as_any_service = feed.client.post("/api/v1/events", json=forged, headers=bearer("service"))
    as_payments = feed.client.post("/api/v1/events", json=forged, headers=relay_bearer("payments"))
    as_conventions = post_event(feed.client, forged)

    assert refusal(as_any_service, 403)["message"] == not_the_producer("service-demo", "conventions")
    assert refusal(as_payments, 403)["message"] == not_the_producer("payments", "conventions")
    # Even under conventions' own name, a date beyond a minute of clock skew is refused as dead.
    assert refusal(as_conventions, 422)["message"] == FUTURE
    assert inbox_size(app) == before

    # The genuine update that follows (a new name) is applied: nothing older hides it.
    feed.legal("PATCH", f"/structures/{structure['id']}", 200, {"name": "Commune du Tampon (La Réunion)"})
    assert [e["type"] for e in feed.deliver()] == ["structure.updated"]
    feed.standing(structure["id"])
    feed.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
    run = feed.call(
        "POST",
        "/payment-runs",
        201,
        {"execution_date": "2026-01-15"},
        sub="bruno",
        headers={"Idempotency-Key": "run-1"},
    )
    sepa = feed.client.get(f"/api/v1/payment-runs/{run['id']}/sepa", headers=bearer("finance", sub="bruno"))

    creditors = [(row["creditor_name"], row["creditor_iban"], row["creditor_bic"]) for row in run["lines"]]
    assert creditors == [("Commune du Tampon (La Réunion)", GENUINE_IBAN, "AGRIMQMX")]
    assert sepa.status_code == 200
    assert GENUINE_IBAN.encode() in sepa.data and FORGED_IBAN.encode() not in sepa.data


def test_a_forged_standing_does_not_lift_a_blocking_one(feed, tampon, app):
    structure, _, tranche = tampon
    feed.standing(structure["id"], overdue=[("training_entry", date(2026, 1, 5))])
    lift = {
        "id": str(uuid.uuid4()),
        "type": "structure.standing_changed",
        "version": 1,
        "occurred_at": FAR_FUTURE,
        "producer": "compliance",
        "sequence": 1_000_000,
        "data": {"structure_id": structure["id"], "blocking": False, "overdue": [], "as_of": "2026-01-10"},
    }
    before = inbox_size(app)

    as_any_service = feed.client.post("/api/v1/events", json=lift, headers=bearer("service"))
    as_conventions = post_event(
        feed.client, {**lift, "producer": "conventions", "occurred_at": "2026-01-10T09:00:00+00:00"}
    )

    assert refusal(as_any_service, 403)["message"] == not_the_producer("service-demo", "compliance")
    assert refusal(as_conventions, 403)["message"] == not_its_type(
        "structure.standing_changed", "compliance", "conventions"
    )
    assert inbox_size(app) == before
    refused = feed.call("POST", f"/tranches/{tranche['id']}/approve", 409, {}, sub="alice")
    assert [reason["code"] for reason in refused["errors"]["reasons"]] == ["overdue_obligation"]
    assert "entrée en formation, échue le 5 janvier 2026" in refused["errors"]["reasons"][0]["message"]

    # Compliance's own next standing, clear, is believed.
    feed.standing(structure["id"])
    approved = feed.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
    assert approved["status"] == "approved"


def test_a_convention_signed_as_payments_with_a_huge_tranche_schedules_nothing(feed, app):
    structure = feed.structure("974")
    convention_id = str(uuid.uuid4())
    forged = {
        "id": str(uuid.uuid4()),
        "type": "convention.signed",
        "version": 1,
        "occurred_at": "2026-01-10T09:00:00+00:00",
        "producer": "payments",
        "sequence": 1,
        "data": {
            "convention_id": convention_id,
            "structure_id": structure["id"],
            "reference": "CNUM-2026-9999",
            "structure": structure["details"],
            "wave": "renewal",
            "posts": 1,
            "start_date": "2026-01-10",
            "end_date": "2029-01-09",
            "duration_months": 36,
            "funded_months": 36,
            "signed_on": "2026-01-10",
            "amount_per_post": "99999999.99",
            "total_amount": "99999999.99",
            "tranches": [{"number": 1, "due_on": "2026-01-10", "amount": "99999999.99"}],
            "funding_periods": [
                {
                    "number": 1,
                    "starts_on": "2026-01-10",
                    "ends_on": "2029-01-09",
                    "months": 36,
                    "amount_per_post": "99999999.99",
                    "monthly_rate": "2777777.78",
                }
            ],
        },
    }
    before = inbox_size(app)

    as_payments = post_event(feed.client, forged)
    as_any_service = feed.client.post("/api/v1/events", json=forged, headers=bearer("service"))

    message = not_its_type("convention.signed", "conventions", "payments")
    assert refusal(as_payments, 403)["message"] == message
    assert refusal(as_any_service, 403)["message"] == message
    assert inbox_size(app) == before
    assert feed.call("GET", f"/schedules/{convention_id}", 404)["code"] == 404
    assert feed.call("GET", f"/tranches?structure_id={structure['id']}", 200) == []


def test_an_event_is_refused_when_its_producer_is_not_the_tokens_sub_and_nothing_is_recorded(feed, app):
    feed.structure("974")
    renamed = {
        **feed.delivered[0],
        "id": str(uuid.uuid4()),
        "sequence": feed.delivered[0]["sequence"] + 1,
        "data": {**feed.delivered[0]["data"], "name": "Mairie du Tampon"},
    }

    refused = feed.client.post("/api/v1/events", json=renamed, headers=relay_bearer("compliance"))

    assert refusal(refused, 403)["message"] == not_the_producer("compliance", "conventions")
    assert inbox_size(app) == 1
    # Nothing was recorded under its id: the same event from its producer is processed, not a repeat.
    accepted = post_event(feed.client, renamed)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json() == {"event_id": renamed["id"], "status": "processed"}


@pytest.mark.parametrize(
    ("ahead", "status"),
    [(timedelta(seconds=59), 200), (timedelta(seconds=60), 200), (timedelta(seconds=61), 422)],
)
def test_an_event_more_than_a_minute_ahead_of_the_service_clock_is_a_422(feed, app, ahead, status):
    feed.structure("974")
    now = datetime(2030, 1, 1, 9, tzinfo=UTC)  # the service's clock, ahead of the system's
    feed.clock.set(now)
    envelope = {
        **feed.delivered[0],
        "id": str(uuid.uuid4()),
        "occurred_at": (now + ahead).isoformat(),
        "sequence": feed.delivered[0]["sequence"] + 1,
    }

    response = post_event(feed.client, envelope)

    if status == 200:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "processed"
        assert inbox_size(app) == 2
        return
    body = refusal(response, 422)
    assert body["message"] == FUTURE
    assert body["errors"] == {
        "json": {
            "occurred_at": [
                "2030-01-01T09:01:01+00:00 est postérieure de plus d'une minute à l'heure de ce service "
                "(2030-01-01T09:00:00+00:00)."
            ]
        }
    }
    assert inbox_size(app) == 1


def test_an_older_standing_after_a_newer_one_leaves_the_newer(feed, tampon):
    """Compliance's sequence orders its standings, whatever `occurred_at` says."""
    structure, _, tranche = tampon
    feed.standing(
        structure["id"],
        overdue=[("equipment", date(2026, 1, 1))],
        sequence=5,
        occurred_at=datetime(2026, 1, 10, 8, tzinfo=UTC),
    )
    feed.standing(structure["id"], sequence=4, occurred_at=datetime(2026, 1, 10, 9, tzinfo=UTC))

    refused = feed.call("POST", f"/tranches/{tranche['id']}/approve", 409, {}, sub="alice")

    assert [reason["code"] for reason in refused["errors"]["reasons"]] == ["overdue_obligation"]


def test_a_reporter_may_not_post_events_nor_read_payments(feed, tampon):
    _, convention, tranche = tampon
    reporter = bearer("reporter", sub="cra-feeder")
    for method, path in (
        ("POST", "/api/v1/events"),
        ("GET", "/api/v1/tranches"),
        ("GET", f"/api/v1/tranches/{tranche['id']}"),
        ("GET", f"/api/v1/schedules/{convention['convention_id']}"),
        ("POST", f"/api/v1/tranches/{tranche['id']}/approve"),
    ):
        response = feed.client.open(path, method=method, json={}, headers=reporter)
        assert refusal(response, 403)["message"] == "Le rôle « reporter » ne permet pas cette opération."
