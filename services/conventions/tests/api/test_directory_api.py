"""/api/v1/directory (decision 0044): every officer finds a structure by its name, its SIRET or the start
of it, and a convention by its reference; and reads the names behind the ids of a page in one call."""

import json
import uuid

import pytest

from cnum_shared.testing import bearer
from conventions.demo import DEMO_STRUCTURES

BY_NAME = {fields["name"]: fields for fields in DEMO_STRUCTURES}


@pytest.fixture
def structures(api):
    """The five demo structures, by name: Saint-Flour, the Val-de-Marne association, Sainte-Anne, Le Tampon
    and Mamoudzou."""
    return {fields["name"]: api.call("POST", "/structures", 201, fields) for fields in DEMO_STRUCTURES}


def names(client, path, role="finance"):
    response = client.get(f"/api/v1/directory{path}", headers=bearer(role))
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()], json.loads(response.headers["X-Pagination"])


def test_a_structure_is_found_by_a_part_of_its_name_whatever_the_case(client, structures):
    assert names(client, "/structures?q=tampon")[0] == ["Commune du Tampon"]
    # "Saint" is in two names: both, by name.
    found, pagination = names(client, "/structures?q=SAINT")
    assert sorted(found) == ["Commune de Saint-Flour", "Commune de Sainte-Anne"]
    assert pagination["total"] == 2


def test_a_structure_is_found_by_its_siret_or_its_start_as_people_write_it(client, structures):
    saint_flour = BY_NAME["Commune de Saint-Flour"]["siret"]
    assert names(client, f"/structures?q={saint_flour}")[0] == ["Commune de Saint-Flour"]
    # Its SIREN (the first nine digits) in groups of three, as printed on a letter.
    grouped = f"{saint_flour[:3]} {saint_flour[3:6]} {saint_flour[6:9]}"
    assert names(client, "/structures", role="compliance")[1]["total"] == 5  # no filter: all of them
    response = client.get(
        "/api/v1/directory/structures", query_string={"q": grouped}, headers=bearer("compliance")
    )
    assert [item["name"] for item in response.get_json()] == ["Commune de Saint-Flour"]
    # The overseas communes' SIRETs start with 219: three of them. A SIRET's middle finds nothing.
    overseas = [fields["name"] for fields in DEMO_STRUCTURES if fields["siret"].startswith("219")]
    assert len(overseas) == 3
    assert sorted(names(client, "/structures?q=219")[0]) == sorted(overseas)
    assert names(client, f"/structures?q={saint_flour[4:]}")[0] == []


def test_a_text_that_names_nothing_finds_nothing_and_a_wildcard_is_a_character(client, structures):
    assert names(client, "/structures?q=Quimper")[0] == []
    assert names(client, "/structures?q=%25")[0] == []
    assert names(client, "/structures?q=_")[0] == []


def test_the_names_of_several_ids_come_in_one_call_with_nothing_else(client, structures):
    tampon, mamoudzou = structures["Commune du Tampon"], structures["Commune de Mamoudzou"]
    query = f"id={tampon['id']}&id={mamoudzou['id']}&id={uuid.uuid4()}"

    response = client.get(f"/api/v1/directory/structures?{query}", headers=bearer("compliance"))

    assert response.status_code == 200
    assert response.get_json() == [
        {
            "id": mamoudzou["id"],
            "name": "Commune de Mamoudzou",
            "siret": mamoudzou["siret"],
            "city": "Mamoudzou",
            "department": "976",
        },
        {
            "id": tampon["id"],
            "name": "Commune du Tampon",
            "siret": tampon["siret"],
            "city": "Le Tampon",
            "department": "974",
        },
    ]
    # The legal officers' list takes the same filter, and answers the whole record.
    legal = client.get(f"/api/v1/structures?{query}", headers=bearer("legal")).get_json()
    assert [item["iban"] for item in legal] == [mamoudzou["iban"], tampon["iban"]]


def test_a_convention_is_found_by_its_reference_or_its_id(api, client, structures):
    cantal = api.convention(structures["Commune de Saint-Flour"])
    reunion = api.convention(structures["Commune du Tampon"])

    def found(query, role="finance"):
        response = client.get(f"/api/v1/directory/conventions?{query}", headers=bearer(role))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    assert found(f"q={cantal['reference'].lower()}") == [
        {
            "id": cantal["id"],
            "reference": cantal["reference"],
            "status": "draft",
            "structure_id": cantal["structure_id"],
            "structure_name": "Commune de Saint-Flour",
        }
    ]
    assert [c["id"] for c in found(f"q={reunion['reference'][-6:]}", role="compliance")] == [reunion["id"]]
    # The reference only: a structure's name is the structures' directory's business.
    assert found("q=Tampon") == []
    # Both start 2021 (CNUM-2021-…): several.
    assert cantal["reference"].startswith("CNUM-2021-") and reunion["reference"].startswith("CNUM-2021-")
    assert sorted(c["id"] for c in found("q=cnum-2021-")) == sorted([reunion["id"], cantal["id"]])
    assert found("q=CNUM-1999") == []
    assert sorted(c["reference"] for c in found(f"id={cantal['id']}&id={reunion['id']}")) == sorted(
        [reunion["reference"], cantal["reference"]]
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("id=not-an-id", "id"),
        ("q=", "q"),
        ("q=" + "x" * 101, "q"),
        ("&".join(f"id={uuid.UUID(int=number)}" for number in range(101)), "id"),
    ],
    ids=["not-an-id", "empty-text", "text-too-long", "too-many-ids"],
)
def test_a_bad_filter_is_a_422_naming_it(client, query, field):
    for path in ("structures", "conventions"):
        response = client.get(f"/api/v1/directory/{path}?{query}", headers=bearer("finance"))
        assert response.status_code == 422, response.get_data(as_text=True)
        assert field in response.get_json()["errors"]["query"]


def test_structure_users_have_no_directory(client, structures):
    own = structures["Commune du Tampon"]["id"]
    for path in ("structures", "conventions"):
        response = client.get(f"/api/v1/directory/{path}", headers=bearer("structure", structure_id=own))
        assert response.status_code == 403
