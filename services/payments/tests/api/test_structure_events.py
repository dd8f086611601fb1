"""POST /api/v1/events: payments keeps its copy of each structure, once per event."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from cnum_shared.testing import post_event
from payments.adapters.orm import StructureCopy, event_tables

STRUCTURE_ID = str(uuid.uuid4())


def _envelope(name="Commune du Tampon", occurred_at=None, event_id=None, sequence=1):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": "structure.updated",
        "version": 1,
        "occurred_at": (occurred_at or datetime(2026, 3, 1, 9, tzinfo=UTC)).isoformat(),
        "producer": "conventions",
        "sequence": sequence,
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


def test_a_structure_event_is_recorded_once(client, app):
    envelope = _envelope()
    first = post_event(client, envelope)
    assert first.status_code == 200
    assert first.get_json() == {"event_id": envelope["id"], "status": "processed"}
    again = post_event(client, envelope)
    assert again.get_json()["status"] == "duplicate"
    copies, inbox = _copies(app)
    assert [(str(c.structure_id), c.name, c.iban) for c in copies] == [
        (STRUCTURE_ID, "Commune du Tampon", "FR7619806000000097443000114")
    ]
    assert inbox == 1


def test_a_newer_event_updates_the_copy_and_an_older_one_does_not(client, app):
    """Older and newer by conventions' sequence: the `occurred_at` a caller supplies orders nothing."""
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    post_event(client, _envelope("Nom 1", start, sequence=1))
    post_event(client, _envelope("Nom 2", start - timedelta(hours=2), sequence=3))
    late = post_event(client, _envelope("Nom 0", start + timedelta(hours=1), sequence=2))
    assert late.get_json()["status"] == "processed"
    copies, inbox = _copies(app)
    assert [c.name for c in copies] == ["Nom 2"]
    assert inbox == 3


def test_an_envelope_without_the_producers_sequence_is_a_422_and_changes_nothing(client, app):
    for sequence in (None, 0, "7", 1.5):
        envelope = _envelope()
        if sequence is None:
            del envelope["sequence"]
        else:
            envelope["sequence"] = sequence
        response = post_event(client, envelope)
        assert response.status_code == 422, sequence
        assert set(response.get_json()["errors"]["json"]) == {"sequence"}, sequence
    assert _copies(app) == ([], 0)


def test_a_malformed_envelope_is_a_422_and_changes_nothing(client, app):
    envelope = _envelope()
    envelope["data"]["siret"] = "not a siret"
    del envelope["version"]
    response = post_event(client, envelope)
    assert response.status_code == 422
    assert {"version"} <= set(response.get_json()["errors"]["json"])
    assert _copies(app) == ([], 0)


def test_an_unknown_event_type_is_a_422(client):
    response = post_event(client, {**_envelope(), "type": "nothing.happened"})
    assert response.status_code == 422


def test_only_services_may_post_events(client, auth):
    assert client.post("/api/v1/events", json=_envelope()).status_code == 401
    assert client.post("/api/v1/events", json=_envelope(), headers=auth("finance")).status_code == 403
    assert client.post("/api/v1/events", json=_envelope(), headers=auth("admin")).status_code == 403
    assert client.post("/api/v1/events", json=_envelope(), headers=auth("reporter")).status_code == 403
