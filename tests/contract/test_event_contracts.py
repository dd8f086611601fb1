"""Consumer-driven contracts of the events between services.

What a producer writes to its outbox, delivered exactly as its relay posts it, must be accepted by
every consumer's `POST /api/v1/events` and land in the consumer's model; and every event type a consumer
subscribes to must have a handler there. A change to a wire schema, a producer or a handler that breaks a
consumer fails here, before any process is started.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from cnum_shared.core.wire import EVENT_TYPES, consumers_of, load_envelope
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from compliance.service_layer.event_handlers import EVENT_HANDLERS as COMPLIANCE_HANDLERS
from conventions import create_app as create_conventions
from conventions.adapters.orm import TrancheSettlement
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from conventions.service_layer.event_handlers import EVENT_HANDLERS as CONVENTIONS_HANDLERS
from payments import create_app as create_payments
from payments.adapters.orm import StructureCopy
from payments.adapters.orm import event_tables as payments_events
from payments.jobs import JOBS as PAYMENT_JOBS
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from payments.service_layer.event_handlers import EVENT_HANDLERS as PAYMENTS_HANDLERS

HANDLERS = {
    "payments": PAYMENTS_HANDLERS,
    "compliance": COMPLIANCE_HANDLERS,
    "conventions": CONVENTIONS_HANDLERS,
}
CONSUMER_APPS = {"payments": create_payments, "compliance": create_compliance}
CONSUMER_MIGRATIONS = {"payments": PAYMENTS_MIGRATIONS, "compliance": COMPLIANCE_MIGRATIONS}


def test_a_consumer_handles_only_event_types_it_subscribes_to():
    for consumer, handlers in HANDLERS.items():
        for event_type in handlers:
            assert consumer in consumers_of(event_type), (
                f"{consumer} handles {event_type} but never receives it"
            )


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_a_service_consumes_is_emitted_by_another(event_type):
    for consumer in consumers_of(event_type):
        assert EVENT_TYPES[event_type].producer != consumer


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path / "conventions") as app:
        yield app


@pytest.fixture
def compliance(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("compliance", db_backend, COMPLIANCE_MIGRATIONS)
    with service_app(create_compliance, url, tmp_path / "compliance") as app:
        yield app


@pytest.fixture
def payments(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS)
    with service_app(create_payments, url, tmp_path / "payments") as app:
        yield app


def test_structure_updated_from_conventions_is_accepted_by_payments(conventions, payments):
    created = []
    for fields in DEMO_STRUCTURES:
        response = conventions.test_client().post("/api/v1/structures", json=fields, headers=bearer("legal"))
        assert response.status_code == 201, response.get_json()
        created.append(response.get_json())
    renamed = created[0]
    patched = conventions.test_client().patch(
        f"/api/v1/structures/{renamed['id']}",
        json={"name": "Mairie de Saint-Flour (Cantal)"},
        headers=bearer("legal"),
    )
    assert patched.status_code == 200, patched.get_json()

    envelopes = outbox_envelopes(conventions, conventions_events)
    assert [envelope["type"] for envelope in envelopes] == ["structure.updated"] * (len(DEMO_STRUCTURES) + 1)
    for envelope in envelopes:
        assert consumers_of(envelope["type"]) == ("payments",)
        load_envelope(envelope)  # the shared schema a consumer loads with
        delivered = post_event(payments.test_client(), envelope)
        assert delivered.status_code == 200, delivered.get_json()
        assert delivered.get_json()["status"] == "processed"

    with payments.extensions["cnum"].database.session() as session:
        copies = {str(copy.structure_id): copy for copy in session.scalars(select(StructureCopy))}
    assert sorted(copies) == sorted(structure["id"] for structure in created)
    for structure in created:
        copy = copies[structure["id"]]
        expected_name = "Mairie de Saint-Flour (Cantal)" if structure is renamed else structure["name"]
        assert (copy.name, copy.siret, copy.kind, copy.department, copy.qpv_zrr, copy.iban) == (
            expected_name,
            structure["siret"],
            structure["kind"],
            structure["department"],
            structure["qpv_zrr"],
            structure["iban"],
        )


def test_a_ridet_a_numero_tahiti_and_the_new_structure_types_reach_payments(conventions, payments):
    """Issue 14: the identifier may be a RIDET (988) or a numéro TAHITI (987), the type a CCAS or an ESH."""
    base = DEMO_STRUCTURES[0]
    bodies = [
        {**base, "department": "988", "postcode": "98800", "siret": "1234567.001", "structure_type": "ccas"},
        {**base, "department": "987", "postcode": "98714", "siret": "B07465001", "structure_type": "oph"},
        {**DEMO_STRUCTURES[1], "structure_type": "esh"},
    ]
    for body in bodies:
        response = conventions.test_client().post("/api/v1/structures", json=body, headers=bearer("legal"))
        assert response.status_code == 201, response.get_json()

    for envelope in outbox_envelopes(conventions, conventions_events):
        load_envelope(envelope)
        delivered = post_event(payments.test_client(), envelope)
        assert delivered.status_code == 200, delivered.get_json()
        assert delivered.get_json()["status"] == "processed"

    with payments.extensions["cnum"].database.session() as session:
        copies = sorted((copy.department, copy.siret) for copy in session.scalars(select(StructureCopy)))
    assert copies == [("94", "77566202600027"), ("987", "B07465001"), ("988", "1234567.001")]


@pytest.mark.parametrize("consumer", sorted(CONSUMER_APPS))
def test_a_consumer_refuses_an_envelope_that_breaks_the_schema(
    consumer, db_backend, test_databases, tmp_path
):
    url = test_databases.fresh(consumer, db_backend, CONSUMER_MIGRATIONS[consumer])
    envelope = {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "type": "structure.updated",
        "version": 1,
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "producer": "conventions",
        "sequence": 1,
        "data": {"structure_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "Sans le reste"},
    }
    with service_app(CONSUMER_APPS[consumer], url, tmp_path) as app:
        refused = post_event(app.test_client(), envelope)

    assert refused.status_code == 422
    assert "data" in refused.get_json()["errors"]["json"]


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_every_event_of_the_recruiting_journey_is_accepted_by_its_consumers(
    conventions, payments, compliance
):
    """One run through conventions' API produces every event type; each consumer acknowledges each."""
    client = conventions.test_client()
    legal = bearer("legal")
    structure = _ok(client.post("/api/v1/structures", json=DEMO_STRUCTURES[3], headers=legal), 201)
    ids = []
    for _ in range(2):
        convention = _ok(
            client.post(
                "/api/v1/conventions",
                json={
                    "structure_id": structure["id"],
                    "wave": "initial",
                    "posts": 2,
                    "start_date": "2021-03-01",
                    "duration_months": 24,
                },
                headers=legal,
            ),
            201,
        )
        _ok(
            client.post(
                f"/api/v1/conventions/{convention['id']}/sign",
                json={"signed_on": "2021-03-15"},
                headers=legal,
            )
        )
        ids.append(convention["id"])
    kept, ended = ids
    amendment = _ok(
        client.post(
            f"/api/v1/conventions/{kept}/amendments",
            json={"posts": 3, "effective_date": "2022-03-01", "reason": "Un poste de plus"},
            headers=legal,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/conventions/{kept}/amendments/{amendment['id']}/sign",
            json={"signed_on": "2022-02-20"},
            headers=legal,
        )
    )
    advisor = _ok(
        client.post(
            "/api/v1/advisors",
            json={
                "first_name": "Inès",
                "last_name": "Payet",
                "birth_date": "1995-06-12",
                "email": "ines.payet@example.org",
                "structure_id": structure["id"],
            },
            headers=legal,
        ),
        201,
    )
    candidate = _ok(
        client.post(
            f"/api/v1/conventions/{kept}/candidates",
            json={"advisor_id": advisor["id"], "presented_on": "2021-04-01"},
            headers=legal,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/candidates/{candidate['id']}/select", json={"selected_on": "2021-04-10"}, headers=legal
        )
    )
    contract = _ok(
        client.post(
            f"/api/v1/conventions/{kept}/contracts",
            json={
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": "2021-05-01",
                "end_date": "2023-02-28",
                "weekly_hours": "35",
                "gross_monthly_salary": "1700.00",
                "signed_on": "2021-04-20",
            },
            headers=legal,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/contracts/{contract['id']}/salary",
            json={"gross_monthly_salary": "1750.00", "effective_on": "2022-01-01"},
            headers=legal,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/contracts/{contract['id']}/end",
            json={"ended_on": "2022-06-30", "reason": "resignation"},
            headers=legal,
        )
    )
    _ok(
        client.post(
            f"/api/v1/conventions/{kept}/close", json={"on": "2023-02-28", "reason": "Terme"}, headers=legal
        )
    )
    _ok(
        client.post(
            f"/api/v1/conventions/{ended}/terminate",
            json={"on": "2022-01-31", "reason": "Renonciation"},
            headers=legal,
        )
    )

    envelopes = outbox_envelopes(conventions, conventions_events)
    # Every envelope carries conventions' own sequence, strictly increasing in the order it emitted them.
    sequences = [envelope["sequence"] for envelope in envelopes]
    assert sequences == list(range(1, len(envelopes) + 1))
    assert {envelope["type"] for envelope in envelopes} == {
        name for name, event_type in EVENT_TYPES.items() if event_type.producer == "conventions"
    }
    consumers = {"payments": payments, "compliance": compliance}
    for envelope in envelopes:
        load_envelope(envelope)
        for consumer in consumers_of(envelope["type"]):
            answer = _ok(post_event(consumers[consumer].test_client(), envelope))
            expected = "processed" if envelope["type"] in HANDLERS[consumer] else "ignored"
            assert answer["status"] == expected, (consumer, envelope["type"])


def test_what_payments_settles_reaches_conventions(conventions, payments):
    """`tranche.approved` and `tranche.paid`, from payments' own outbox, are accepted by conventions
    and land in its record of what was settled (decision 0025)."""

    client = conventions.test_client()
    legal = bearer("legal")
    structure = _ok(client.post("/api/v1/structures", json=DEMO_STRUCTURES[3], headers=legal), 201)
    convention = _ok(
        client.post(
            "/api/v1/conventions",
            json={
                "structure_id": structure["id"],
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
            headers=legal,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/conventions/{convention['id']}/sign", json={"signed_on": "2021-03-15"}, headers=legal
        )
    )
    for envelope in outbox_envelopes(conventions, conventions_events):
        if "payments" in consumers_of(envelope["type"]):
            _ok(post_event(payments.test_client(), envelope))
    standing = {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "type": "structure.standing_changed",
        "version": 1,
        "occurred_at": "2021-03-20T09:00:00+00:00",
        "producer": "compliance",
        "sequence": 1,
        "data": {"structure_id": structure["id"], "blocking": False, "overdue": [], "as_of": "2021-03-20"},
    }
    _ok(post_event(payments.test_client(), standing))
    next(job for job in PAYMENT_JOBS if job.name == "mark_due").function(
        payments.extensions["cnum"], date(2021, 3, 20)
    )
    pay = payments.test_client()
    [first, *_] = _ok(pay.get(f"/api/v1/schedules/{convention['id']}", headers=bearer("finance")))["tranches"]
    _ok(pay.post(f"/api/v1/tranches/{first['id']}/approve", json={}, headers=bearer("finance", sub="alice")))
    _ok(
        pay.post(
            f"/api/v1/tranches/{first['id']}/pay",
            json={"paid_on": "2021-03-20", "reference": "VIR-1"},
            headers={**bearer("finance", sub="bruno"), "Idempotency-Key": "k-1"},
        ),
        201,
    )

    envelopes = [
        e for e in outbox_envelopes(payments, payments_events) if "conventions" in consumers_of(e["type"])
    ]
    assert [e["type"] for e in envelopes] == ["tranche.approved", "tranche.paid"]
    for envelope in envelopes:
        load_envelope(envelope)
        assert _ok(post_event(client, envelope))["status"] == "processed"

    with conventions.extensions["cnum"].database.session() as session:
        [settled] = session.scalars(select(TrancheSettlement)).all()
    assert (str(settled.tranche_id), settled.number, settled.status, str(settled.amount)) == (
        first["id"],
        1,
        "paid",
        first["amount"],
    )
