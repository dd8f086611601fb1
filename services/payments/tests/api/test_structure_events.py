"""POST /api/v1/events: payments keeps its copy of each structure, once per event."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from payments.adapters.orm import StructureCopy, event_tables

STRUCTURE_ID = str(uuid.uuid4())


def _envelope(name="Commune du Tampon", occurred_at=None, event_id=None):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": "structure.updated",
        "version": 1,
        "occurred_at": (occurred_at or datetime(2026, 3, 1, 9, tzinfo=UTC)).isoformat(),
        "producer": "conventions",
        "data": {
            "structure_id": STRUCTURE_ID,
            "name": name,
            "siret": "21974222800014",
            "kind": "public",
            "structure_type": "commune",
            "department": "974",
            "address": "256 rue Hubert-Delisle",
            "postcode": "97430",
            "city": "Le Tampon",
            "email": "inclusion-numerique@letampon.example",
            "qpv_zrr": False,
            "iban": "FR7619806000000097443000114",
            "bic": "AGRIMQMX",
        },
    }


def _copies(app):
    with app.extensions["cnum"].database.session() as session:
        return session.scalars(select(StructureCopy)).all(), session.scalar(
            select(func.count()).select_from(event_tables.inbox)
        )


def test_a_structure_event_is_recorded_once(client, app, auth):
    envelope = _envelope()
    first = client.post("/api/v1/events", json=envelope, headers=auth("service"))
    assert first.status_code == 200
    assert first.get_json() == {"event_id": envelope["id"], "status": "processed"}
    again = client.post("/api/v1/events", json=envelope, headers=auth("service"))
    assert again.get_json()["status"] == "duplicate"
    copies, inbox = _copies(app)
    assert [(str(c.structure_id), c.name, c.iban) for c in copies] == [
        (STRUCTURE_ID, "Commune du Tampon", "FR7619806000000097443000114")
    ]
    assert inbox == 1


def test_a_newer_event_updates_the_copy_and_an_older_one_does_not(client, app, auth):
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    client.post("/api/v1/events", json=_envelope("Nom 1", start), headers=auth("service"))
    client.post(
        "/api/v1/events", json=_envelope("Nom 2", start + timedelta(hours=1)), headers=auth("service")
    )
    late = client.post(
        "/api/v1/events", json=_envelope("Nom 0", start - timedelta(hours=1)), headers=auth("service")
    )
    assert late.get_json()["status"] == "processed"
    copies, inbox = _copies(app)
    assert [c.name for c in copies] == ["Nom 2"]
    assert inbox == 3


def test_a_malformed_envelope_is_a_422_and_changes_nothing(client, app, auth):
    envelope = _envelope()
    envelope["data"]["siret"] = "not a siret"
    del envelope["version"]
    response = client.post("/api/v1/events", json=envelope, headers=auth("service"))
    assert response.status_code == 422
    assert {"version"} <= set(response.get_json()["errors"]["json"])
    assert _copies(app) == ([], 0)


def test_an_unknown_event_type_is_a_422(client, auth):
    response = client.post(
        "/api/v1/events", json={**_envelope(), "type": "nothing.happened"}, headers=auth("service")
    )
    assert response.status_code == 422


def test_only_services_may_post_events(client, auth):
    assert client.post("/api/v1/events", json=_envelope()).status_code == 401
    assert client.post("/api/v1/events", json=_envelope(), headers=auth("finance")).status_code == 403
    assert client.post("/api/v1/events", json=_envelope(), headers=auth("admin")).status_code == 403
