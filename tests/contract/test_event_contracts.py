"""Consumer-driven contracts of the events between services.

What a producer writes to its outbox, delivered exactly as its relay posts it, must be accepted by
every consumer's `POST /api/v1/events` and land in the consumer's model; and every event type a consumer
subscribes to must have a handler there. A change to a wire schema, a producer or a handler that breaks a
consumer fails here, before any process is started.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cnum_shared.events.relay import envelope_of
from cnum_shared.events.schemas import EVENT_TYPES, consumers_of, load_envelope
from cnum_shared.testing import TestDatabases, bearer, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from compliance.service_layer.event_handlers import EVENT_HANDLERS as COMPLIANCE_HANDLERS
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import StructureCopy
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from payments.service_layer.event_handlers import EVENT_HANDLERS as PAYMENTS_HANDLERS

HANDLERS = {"payments": PAYMENTS_HANDLERS, "compliance": COMPLIANCE_HANDLERS}
CONSUMER_APPS = {"payments": create_payments, "compliance": create_compliance}
CONSUMER_MIGRATIONS = {"payments": PAYMENTS_MIGRATIONS, "compliance": COMPLIANCE_MIGRATIONS}


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_consumer_of_an_event_type_has_a_handler_for_it(event_type):
    for consumer in consumers_of(event_type):
        assert event_type in HANDLERS[consumer], f"{consumer} subscribes to {event_type} but has no handler"


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path / "conventions") as app:
        yield app


@pytest.fixture
def payments(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS)
    with service_app(create_payments, url, tmp_path / "payments") as app:
        yield app


def outbox_envelopes(app) -> list[dict]:
    """The envelopes the relay would post, in order, as JSON went over the wire."""
    with app.extensions["cnum"].database.session() as session:
        rows = session.execute(
            select(conventions_events.outbox).order_by(conventions_events.outbox.c.sequence)
        ).mappings()
        return [json.loads(json.dumps(envelope_of(row))) for row in rows]


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

    envelopes = outbox_envelopes(conventions)
    assert [envelope["type"] for envelope in envelopes] == ["structure.updated"] * (len(DEMO_STRUCTURES) + 1)
    for envelope in envelopes:
        assert consumers_of(envelope["type"]) == ("payments",)
        load_envelope(envelope)  # the shared schema a consumer loads with
        delivered = payments.test_client().post("/api/v1/events", json=envelope, headers=bearer("service"))
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
        "data": {"structure_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "Sans le reste"},
    }
    with service_app(CONSUMER_APPS[consumer], url, tmp_path) as app:
        refused = app.test_client().post("/api/v1/events", json=envelope, headers=bearer("service"))

    assert refused.status_code == 422
    assert "data" in refused.get_json()["errors"]["json"]
