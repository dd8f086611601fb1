"""/api/v1/structures: each rule's success and refusal, roles, scoping, and the event of each change."""

import uuid

import pytest
from sqlalchemy import select

from conventions.adapters.orm import event_tables
from conventions.demo import DEMO_STRUCTURES

SAINT_FLOUR = DEMO_STRUCTURES[0]


def _post(client, auth, body, role="legal"):
    return client.post("/api/v1/structures", json=body, headers=auth(role))


def _events(app):
    with app.extensions["cnum"].database.session() as session:
        return session.execute(
            select(event_tables.outbox.c.type, event_tables.outbox.c.data, event_tables.deliveries.c.consumer)
            .join(event_tables.deliveries)
            .order_by(event_tables.outbox.c.sequence)
        ).all()


def test_a_legal_officer_registers_a_structure_and_payments_is_told(client, app, auth):
    response = _post(client, auth, {**SAINT_FLOUR, "iban": "FR76 3000 1000 0000 0000 1510 029"})
    assert response.status_code == 201
    body = response.get_json()
    uuid.UUID(body["id"])
    assert {key: body[key] for key in SAINT_FLOUR} == {**SAINT_FLOUR, "iban": "FR7630001000000000001510029"}
    ((event_type, data, consumer),) = _events(app)
    assert (event_type, consumer) == ("structure.updated", "payments")
    assert data["structure_id"] == body["id"]
    assert data["iban"] == "FR7630001000000000001510029"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"siret": "21150187900013"}, "siret", "SIRET invalide"),
        ({"iban": "FR7630001000000000001510028"}, "iban", "IBAN invalide"),
        ({"bic": "XXXXXXXX"}, "bic", "BIC invalide"),
        ({"department": "99"}, "department", "Code de département inconnu"),
        ({"postcode": "63000"}, "postcode", "n'appartient pas au département 15"),
        ({"structure_type": "association"}, "structure_type", "structure privée"),
        ({"kind": "private"}, "structure_type", "structure publique"),
    ],
)
def test_a_structure_breaking_a_rule_is_refused_with_the_field_named(
    client, app, auth, changes, field, message
):
    response = _post(client, auth, {**SAINT_FLOUR, **changes})
    assert response.status_code == 422
    body = response.get_json()
    assert message in " ".join(body["errors"]["json"][field])
    assert _events(app) == []


@pytest.mark.parametrize(
    ("department", "postcode"), [("2A", "20000"), ("2B", "20600"), ("978", "97150"), ("977", "97133")]
)
def test_corsica_and_the_overseas_collectivities_are_accepted(client, auth, department, postcode):
    response = _post(client, auth, {**SAINT_FLOUR, "department": department.lower(), "postcode": postcode})
    assert response.status_code == 201
    assert response.get_json()["department"] == department


def test_a_missing_or_unknown_field_is_a_422_naming_it(client, auth):
    body = {key: value for key, value in SAINT_FLOUR.items() if key != "email"}
    response = _post(client, auth, {**body, "colour": "blue"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"email", "colour"}


def test_a_known_siret_is_a_409(client, auth):
    assert _post(client, auth, SAINT_FLOUR).status_code == 201
    response = _post(client, auth, {**SAINT_FLOUR, "name": "Autre nom"})
    assert response.status_code == 409
    assert "21150187900012" in response.get_json()["message"]


def test_without_a_token_or_with_an_expired_one_it_is_a_401(client, auth):
    assert client.post("/api/v1/structures", json=SAINT_FLOUR).status_code == 401
    expired = client.post("/api/v1/structures", json=SAINT_FLOUR, headers=auth("legal", ttl_seconds=-5))
    assert expired.status_code == 401


@pytest.mark.parametrize("role", ["finance", "compliance", "auditor", "service"])
def test_other_roles_cannot_register_a_structure(client, auth, role):
    assert _post(client, auth, SAINT_FLOUR, role=role).status_code == 403


def test_a_structure_user_reads_its_own_structure_only(client, auth):
    own_id = _post(client, auth, SAINT_FLOUR).get_json()["id"]
    other_id = _post(client, auth, DEMO_STRUCTURES[1]).get_json()["id"]
    headers = auth("structure", structure_id=own_id)
    assert client.get(f"/api/v1/structures/{own_id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/structures/{other_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/structures", headers=headers).status_code == 403


def test_an_unknown_structure_is_a_404(client, auth):
    assert client.get(f"/api/v1/structures/{uuid.uuid4()}", headers=auth("auditor")).status_code == 404


def test_the_list_is_paginated_and_filtered(client, auth):
    for fields in DEMO_STRUCTURES:
        assert _post(client, auth, fields).status_code == 201
    response = client.get("/api/v1/structures?page_size=2", headers=auth("auditor"))
    assert response.status_code == 200
    assert len(response.get_json()) == 2
    assert '"total": 5' in response.headers["X-Pagination"]
    overseas = client.get("/api/v1/structures?department=976", headers=auth("legal")).get_json()
    assert [s["city"] for s in overseas] == ["Mamoudzou"]
    private = client.get("/api/v1/structures?kind=private", headers=auth("admin")).get_json()
    assert [s["name"] for s in private] == ["Association Lien numérique du Val-de-Marne"]
    searched = client.get("/api/v1/structures?q=TAMPON", headers=auth("legal")).get_json()
    assert [s["siret"] for s in searched] == ["21974222800014"]


def test_a_change_is_saved_and_told_to_payments(client, app, auth):
    structure_id = _post(client, auth, SAINT_FLOUR).get_json()["id"]
    response = client.patch(
        f"/api/v1/structures/{structure_id}", json={"address": "1 place de la Mairie"}, headers=auth("legal")
    )
    assert response.status_code == 200
    assert response.get_json()["address"] == "1 place de la Mairie"
    events = _events(app)
    assert len(events) == 2
    assert events[1].data["address"] == "1 place de la Mairie"


def test_a_change_is_checked_against_the_whole_structure(client, app, auth):
    structure_id = _post(client, auth, SAINT_FLOUR).get_json()["id"]
    response = client.patch(
        f"/api/v1/structures/{structure_id}", json={"department": "63"}, headers=auth("legal")
    )
    assert response.status_code == 422
    assert "postcode" in response.get_json()["errors"]["json"]
    assert len(_events(app)) == 1


def test_bank_details_are_not_changed_by_patch(client, auth):
    structure_id = _post(client, auth, SAINT_FLOUR).get_json()["id"]
    response = client.patch(
        f"/api/v1/structures/{structure_id}", json={"iban": DEMO_STRUCTURES[1]["iban"]}, headers=auth("legal")
    )
    assert response.status_code == 422
    assert "iban" in response.get_json()["errors"]["json"]


def test_changing_to_a_known_siret_is_a_409(client, auth):
    _post(client, auth, SAINT_FLOUR)
    other_id = _post(client, auth, DEMO_STRUCTURES[1]).get_json()["id"]
    response = client.patch(
        f"/api/v1/structures/{other_id}", json={"siret": SAINT_FLOUR["siret"]}, headers=auth("legal")
    )
    assert response.status_code == 409
