"""/api/v1/officers: the directory of the officers who may sign in to the web front (decision 0042), kept
by administrators: the account id is new and stays, addresses are unique whatever their case, an officer
is deactivated rather than deleted, and only administrators write."""

import json
import uuid

import pytest


def _post(client, auth, body, role="admin"):
    return client.post("/api/v1/officers", json=body, headers=auth(role))


CLAIRE = {"email": "Claire.Martin@Agence.example", "name": "Claire Martin", "role": "legal"}


def test_an_administrator_adds_an_officer_who_gets_a_new_account_id(client, auth):
    response = _post(client, auth, CLAIRE)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    uuid.UUID(body["id"])
    # Stored in lower case: the identity provider may write it otherwise, and it is compared without case.
    assert (body["email"], body["name"], body["role"], body["active"]) == (
        "claire.martin@agence.example",
        "Claire Martin",
        "legal",
        True,
    )
    again = client.get(f"/api/v1/officers/{body['id']}", headers=auth("auditor"))
    assert again.status_code == 200 and again.get_json()["email"] == "claire.martin@agence.example"


def test_an_address_already_in_the_directory_is_refused_whatever_its_case(client, auth):
    assert _post(client, auth, CLAIRE).status_code == 201

    response = _post(client, auth, {**CLAIRE, "email": "CLAIRE.MARTIN@agence.example", "role": "finance"})

    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "Un agent de l'annuaire a déjà l'adresse claire.martin@agence.example."
    )


def test_the_sign_in_finds_an_officer_by_address_whatever_its_case(client, auth):
    created = _post(client, auth, CLAIRE).get_json()
    _post(client, auth, {"email": "alice.durand@agence.example", "name": "Alice Durand", "role": "finance"})

    response = client.get(
        "/api/v1/officers", query_string={"email": "CLAIRE.martin@agence.EXAMPLE"}, headers=auth("admin")
    )

    assert response.status_code == 200
    assert [officer["id"] for officer in response.get_json()] == [created["id"]]
    assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_a_deactivated_officer_keeps_the_account_id_and_is_listed_as_inactive(client, auth):
    created = _post(client, auth, CLAIRE).get_json()

    response = client.patch(
        f"/api/v1/officers/{created['id']}",
        json={"active": False, "name": "Claire Martin-Lopez", "role": "compliance"},
        headers=auth("admin"),
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["active"], body["name"], body["role"]) == (
        created["id"],
        False,
        "Claire Martin-Lopez",
        "compliance",
    )
    inactive = client.get("/api/v1/officers", query_string={"active": "false"}, headers=auth("admin"))
    assert [officer["id"] for officer in inactive.get_json()] == [created["id"]]
    active = client.get("/api/v1/officers", query_string={"active": "true"}, headers=auth("admin"))
    assert active.get_json() == []


def test_a_change_of_address_to_another_officers_is_refused(client, auth):
    claire = _post(client, auth, CLAIRE).get_json()
    _post(client, auth, {"email": "alice.durand@agence.example", "name": "Alice Durand", "role": "finance"})

    response = client.patch(
        f"/api/v1/officers/{claire['id']}",
        json={"email": "Alice.Durand@agence.example"},
        headers=auth("admin"),
    )

    assert response.status_code == 409
    assert "alice.durand@agence.example" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CLAIRE, "email": "pas-une-adresse"}, "email"),
        ({**CLAIRE, "role": "structure"}, "role"),
        ({**CLAIRE, "role": "service"}, "role"),
        ({**CLAIRE, "name": ""}, "name"),
        ({"email": CLAIRE["email"], "role": "legal"}, "name"),
    ],
    ids=["bad-address", "structure-role", "service-role", "empty-name", "no-name"],
)
def test_what_is_not_an_officer_is_refused_with_the_field_named(client, auth, body, field):
    response = _post(client, auth, body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_an_unknown_officer_is_a_404(client, auth):
    missing = uuid.uuid4()
    assert client.get(f"/api/v1/officers/{missing}", headers=auth("admin")).status_code == 404
    response = client.patch(f"/api/v1/officers/{missing}", json={"active": False}, headers=auth("admin"))
    assert response.status_code == 404
    assert response.get_json()["message"] == "Agent introuvable dans l'annuaire."


@pytest.mark.parametrize("role", ["legal", "finance", "compliance", "auditor"])
def test_only_an_administrator_writes_the_directory(client, auth, role):
    assert _post(client, auth, CLAIRE, role=role).status_code == 403
    created = _post(client, auth, CLAIRE).get_json()
    response = client.patch(f"/api/v1/officers/{created['id']}", json={"active": False}, headers=auth(role))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["legal", "finance", "compliance"])
def test_officers_do_not_read_the_directory(client, auth, role):
    assert client.get("/api/v1/officers", headers=auth(role)).status_code == 403
