"""Advisors' personal data: the purge after the retention period (DESIGN §5, shared/parameters/
personal_data.yaml: five years after the convention is closed or terminated) and the RGPD art. 15 export.

The clock is the job's legal date (`--as-of`); everything else is real: the database of each backend,
the stored DOCX files under the service's var directory.
"""

import hashlib
import json
import logging
from datetime import date

import pytest
from sqlalchemy import select

from cnum_shared.framework.jobs import run_job
from cnum_shared.testing import bearer
from conventions.adapters.orm import PersonalDataPurge
from conventions.jobs import JOBS

PURGE = next(job for job in JOBS if job.name == "purge_personal_data")

CLOSED_ON = "2023-02-28"
#: Five years after 28 February 2023, calendar-wise: kept through 28 February 2028, purged from the 29th.
LAST_DAY_KEPT = "2028-02-28"
FIRST_DAY_PURGED = "2028-02-29"

NEUTRAL = {
    "first_name": "Anonymisé",
    "last_name": "Anonymisé",
    "birth_date": "1900-01-01",
    "email": "anonymise@anonyme.invalid",
    "is_retired": False,
    "in_civic_service": False,
    "is_france_services_agent": False,
}

PURGED_MESSAGE = (
    "L'avenant au contrat de travail n'est plus conservé : il a été supprimé le 29 février 2028 avec "
    "les données personnelles du conseiller, au terme de leur durée de conservation. Son empreinte "
    "SHA-256 reste enregistrée."
)


def purge(app, as_of):
    return run_job(app.extensions["cnum"], PURGE, date.fromisoformat(as_of))


def get(api, path, role="legal", **claims):
    return api.client.get(f"/api/v1{path}", headers=bearer(role, **claims))


def person(first, last, email):
    return {
        "first_name": first,
        "last_name": last,
        "birth_date": "1985-06-12",
        "email": email,
        "is_retired": False,
        "in_civic_service": False,
        "is_france_services_agent": False,
    }


CDI_MOVE = {
    "contract_type": "cdi",
    "existing_cdi_employee": True,
    "original_contract_start_date": "2019-09-02",
    "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
    "line_manager": "Josiane Grondin, directrice de la médiathèque",
    "classification": "adjoint territorial d'animation, échelon 4",
    "public_status": "contractuel",
    "start_date": "2021-04-01",
    "signed_on": "2021-03-25",
    "weekly_hours": "35.00",
    "gross_monthly_salary": "1900.00",
}

AVENANT_FACTS = (
    "original_contract_start_date",
    "place_of_work",
    "line_manager",
    "classification",
    "public_status",
)


@pytest.fixture
def world(api, app, tmp_path):
    """Two structures. Inès (registered by the Tampon) was moved from her CDI to the post on convention A,
    which is closed on 28 February 2023; Paul is on B (Cantal), still running; Léa (registered for the
    Tampon, as every advisor belongs to one structure) was presented on A and on C, another convention of
    the Tampon still running."""
    tampon, cantal = api.structure("974"), api.structure("15")
    closed = api.convention(tampon, posts=2, signed_on="2021-03-15")
    running = api.convention(cantal, posts=2, signed_on="2021-03-15")
    also_running = api.convention(tampon, posts=1, signed_on="2021-03-15")
    as_tampon = {"role": "structure", "structure_id": tampon["id"]}
    ines = api.call("POST", "/advisors", 201, person("Inès", "Payet", "ines@example.org"), **as_tampon)
    paul = api.call(
        "POST",
        "/advisors",
        201,
        {**person("Paul", "Vidal", "paul@example.org"), "structure_id": cantal["id"]},
    )
    lea = api.call(
        "POST", "/advisors", 201, {**person("Léa", "Martin", "lea@example.org"), "structure_id": tampon["id"]}
    )
    for advisor, convention in ((ines, closed), (lea, closed), (lea, also_running)):
        api.call(
            "POST",
            f"/conventions/{convention['id']}/candidates",
            201,
            {"advisor_id": advisor["id"], "presented_on": "2021-03-20"},
        )
    contract = api.call(
        "POST", f"/conventions/{closed['id']}/contracts", 201, {**CDI_MOVE, "advisor_id": ines["id"]}
    )
    api.call(
        "POST",
        f"/contracts/{contract['id']}/salary",
        201,
        {"gross_monthly_salary": "2000.00", "effective_on": "2022-01-01"},
    )
    other = api.call(
        "POST", f"/conventions/{running['id']}/contracts", 201, {**CDI_MOVE, "advisor_id": paul["id"]}
    )
    avenant = get(api, f"/contracts/{contract['id']}/amendment?format=docx", sub="juriste-1")
    other_avenant = get(api, f"/contracts/{other['id']}/amendment?format=docx")
    assert avenant.status_code == other_avenant.status_code == 200
    api.call(
        "POST", f"/conventions/{closed['id']}/close", 200, {"on": CLOSED_ON, "reason": "Fin du dispositif"}
    )
    return {
        "tampon": tampon,
        "cantal": cantal,
        "closed": closed,
        "ines": ines,
        "paul": paul,
        "lea": lea,
        "contract": contract,
        "other": other,
        "avenant": avenant,
        "other_avenant": other_avenant,
        "stored": tmp_path / "documents" / "contract_avenant",
    }


def identity(api, advisor):
    found = api.call("GET", f"/advisors/{advisor['id']}", 200)
    return {key: found[key] for key in NEUTRAL}


def export(api, advisor, role="legal", **claims):
    response = get(api, f"/advisors/{advisor['id']}/personal-data", role, **claims)
    assert response.status_code == 200, response.get_json()
    return json.loads(response.data)


def purge_rows(app):
    with app.extensions["cnum"].database.engine.connect() as connection:
        return connection.execute(
            select(
                PersonalDataPurge.actor,
                PersonalDataPurge.as_of,
                PersonalDataPurge.advisors_anonymised,
                PersonalDataPurge.documents_deleted,
            )
        ).all()


def test_nothing_changes_up_to_the_last_day_of_retention(api, app, world):
    before = {name: identity(api, world[name]) for name in ("ines", "paul", "lea")}
    files = sorted(path.name for path in world["stored"].iterdir())

    assert purge(app, LAST_DAY_KEPT) == "advisors anonymised 0, documents purged 0, files deleted 0"

    assert {name: identity(api, world[name]) for name in ("ines", "paul", "lea")} == before
    assert before["ines"]["last_name"] == "Payet"
    assert sorted(path.name for path in world["stored"].iterdir()) == files
    response = get(api, f"/contracts/{world['contract']['id']}/amendment?format=docx")
    assert response.status_code == 200
    assert response.data == world["avenant"].data
    assert purge_rows(app) == []


def test_the_day_after_the_person_is_anonymised_and_the_avenant_is_gone_with_a_410(api, app, world, caplog):
    avenant_sha = hashlib.sha256(world["avenant"].data).hexdigest()
    assert world["avenant"].headers["X-Document-SHA256"] == avenant_sha
    stored = world["stored"] / f"{avenant_sha}.docx"
    assert stored.is_file()

    with caplog.at_level(logging.DEBUG):
        summary = purge(app, FIRST_DAY_PURGED)

    assert summary == "advisors anonymised 1, documents purged 1, files deleted 1"
    # The job's log says how many, never who.
    for personal in ("Inès", "Payet", "ines@example.org", "1985-06-12"):
        assert personal not in caplog.text
    assert identity(api, world["ines"]) == NEUTRAL
    assert api.call("GET", f"/advisors/{world['ines']['id']}", 200)["anonymised_on"] == FIRST_DAY_PURGED
    assert not stored.exists()
    response = get(api, f"/contracts/{world['contract']['id']}/amendment?format=docx")
    assert response.status_code == 410
    assert response.get_json() == {
        "code": 410,
        "status": "Gone",
        "message": PURGED_MESSAGE,
        "errors": {"purged_on": FIRST_DAY_PURGED, "documents": [{"format": "docx", "sha256": avenant_sha}]},
    }
    # Never made again from the neutral values, in the other format either.
    pdf = get(api, f"/contracts/{world['contract']['id']}/amendment?format=pdf")
    assert pdf.status_code == 410
    assert pdf.get_json()["errors"] == {"purged_on": FIRST_DAY_PURGED, "documents": []}
    # What the accounts need stays: the contract, its amounts, the convention's documents.
    contract = api.call("GET", f"/contracts/{world['contract']['id']}", 200)
    assert contract["advisor_id"] == world["ines"]["id"]
    assert contract["gross_monthly_salary"] == "2000.00"
    assert purge_rows(app) == [("job:purge_personal_data", date(2028, 2, 29), 1, 1)]


def test_other_advisors_are_untouched(api, app, world):
    purge(app, FIRST_DAY_PURGED)

    # Paul is on a convention still running; Léa was also presented on one.
    assert identity(api, world["paul"]) == person("Paul", "Vidal", "paul@example.org")
    assert identity(api, world["lea"]) == person("Léa", "Martin", "lea@example.org")
    response = get(api, f"/contracts/{world['other']['id']}/amendment?format=docx")
    assert response.status_code == 200
    assert response.data == world["other_avenant"].data


def test_a_second_run_changes_nothing(api, app, world):
    purge(app, FIRST_DAY_PURGED)
    first = export(api, world["ines"])
    rows = purge_rows(app)

    assert purge(app, FIRST_DAY_PURGED) == "advisors anonymised 0, documents purged 0, files deleted 0"
    assert purge(app, "2031-01-01") == "advisors anonymised 0, documents purged 0, files deleted 0"

    assert export(api, world["ines"]) == first
    assert purge_rows(app) == rows
    assert identity(api, world["paul"])["last_name"] == "Vidal"


def test_a_contract_recorded_as_ending_after_the_closing_keeps_the_data_five_years_after_it(api, app, world):
    api.call(
        "POST",
        f"/contracts/{world['contract']['id']}/end",
        200,
        {"ended_on": "2023-06-30", "reason": "resignation"},
    )

    assert purge(app, FIRST_DAY_PURGED).startswith("advisors anonymised 0,")
    assert export(api, world["ines"])["retention"]["kept_until"] == "2028-06-30"
    assert purge(app, "2028-07-01").startswith("advisors anonymised 1,")


def test_an_anonymised_person_can_no_longer_be_presented_or_hired(api, app, world):
    purge(app, FIRST_DAY_PURGED)
    convention = api.convention(world["tampon"], posts=1, signed_on="2021-03-15")
    path = f"/api/v1/conventions/{convention['id']}"
    refusal = [
        "Ce conseiller a été anonymisé le 29 février 2028 : il ne peut plus être présenté ni recruté ; "
        "enregistrez-le à nouveau."
    ]

    presented = api.client.post(
        f"{path}/candidates",
        json={"advisor_id": world["ines"]["id"], "presented_on": "2021-04-01"},
        headers=bearer("legal"),
    )
    hired = api.client.post(
        f"{path}/contracts", json={**CDI_MOVE, "advisor_id": world["ines"]["id"]}, headers=bearer("legal")
    )
    # Léa is also on the running convention C: she keeps her data and may still be presented.
    lea = api.client.post(
        f"{path}/candidates",
        json={"advisor_id": world["lea"]["id"], "presented_on": "2021-04-01"},
        headers=bearer("legal"),
    )

    assert presented.status_code == hired.status_code == 422
    assert presented.get_json()["errors"] == hired.get_json()["errors"] == {"json": {"advisor_id": refusal}}
    assert lea.status_code == 201


def test_the_export_says_everything_held_on_the_person(api, app, world):
    response = get(api, f"/advisors/{world['ines']['id']}/personal-data", sub="juriste-2")
    avenant_sha = hashlib.sha256(world["avenant"].data).hexdigest()

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="donnees-personnelles-{world["ines"]["id"]}.json"'
    )
    assert response.mimetype == "application/json"
    document = json.loads(response.data)
    assert document["advisor_id"] == world["ines"]["id"]
    assert {key: document["identity"][key] for key in NEUTRAL} == person("Inès", "Payet", "ines@example.org")
    assert document["identity"]["registered_by_structure_id"] == world["tampon"]["id"]
    [presentation] = document["presentations"]
    assert presentation["convention_reference"] == world["closed"]["reference"]
    assert presentation["presented_on"] == "2021-03-20"
    assert presentation["convention_ended_on"] == CLOSED_ON
    [contract] = document["contracts"]
    assert contract["id"] == world["contract"]["id"]
    assert contract["gross_monthly_salary"] == "2000.00"
    assert contract["start_date"] == "2021-04-01"
    # What her avenant states is part of what is held on her (decision 0026).
    assert {key: contract[key] for key in AVENANT_FACTS} == {key: CDI_MOVE[key] for key in AVENANT_FACTS}
    assert contract["collective_agreement"] is None
    assert [
        (change["gross_monthly_salary"], change["effective_on"]) for change in contract["salary_changes"]
    ] == [("2000.00", "2022-01-01")]
    [avenant] = document["documents"]
    assert (avenant["template_name"], avenant["format"], avenant["sha256"]) == (
        "contract_avenant",
        "docx",
        avenant_sha,
    )
    assert avenant["purged_on"] is None
    assert [(line["role"], line["sha256"]) for line in avenant["downloads"]] == [("legal", avenant_sha)]
    assert document["retention"] == {
        "parameter": "personal_data.retention_years_after_closing",
        "anonymised": False,
        "anonymised_on": None,
        "kept_until": LAST_DAY_KEPT,
        "message": "Les données personnelles sont conservées jusqu'au 28 février 2028 inclus.",
    }
    # The export is a disclosure: it is in the audit log, with who asked.
    entries = api.call("GET", "/audit?actor=juriste-2", 200, role="auditor")
    assert [(entry["method"], entry["path"], entry["role"], entry["status"]) for entry in entries] == [
        ("GET", f"/api/v1/advisors/{world['ines']['id']}/personal-data", "legal", 200)
    ]


def test_while_a_convention_runs_the_export_names_no_end(api, world):
    retention = export(api, world["lea"])["retention"]

    assert retention["kept_until"] is None
    assert retention["message"] == (
        "Les données personnelles sont conservées tant qu'une convention sur laquelle ce conseiller a "
        "été présenté ou recruté n'est pas close ou résiliée."
    )


def test_after_the_purge_the_export_says_when_the_data_was_anonymised(api, app, world):
    purge(app, FIRST_DAY_PURGED)

    document = export(api, world["ines"])

    assert {key: document["identity"][key] for key in NEUTRAL} == NEUTRAL
    assert document["retention"] == {
        "parameter": "personal_data.retention_years_after_closing",
        "anonymised": True,
        "anonymised_on": FIRST_DAY_PURGED,
        "kept_until": None,
        "message": "Les données personnelles de ce conseiller ont été anonymisées le 29 février 2028, au "
        "terme de leur durée de conservation après la fin de ses conventions.",
    }
    [avenant] = document["documents"]
    assert avenant["purged_on"] == FIRST_DAY_PURGED
    assert avenant["sha256"] == hashlib.sha256(world["avenant"].data).hexdigest()
    assert document["contracts"][0]["gross_monthly_salary"] == "2000.00"
    # Where and since when she worked, and who her manager was, go with her identity; the post's terms
    # (classification, public status) stay with the contract's amounts (decision 0026).
    [contract] = document["contracts"]
    assert (
        contract["original_contract_start_date"],
        contract["place_of_work"],
        contract["line_manager"],
    ) == (
        None,
        None,
        None,
    )
    assert (contract["classification"], contract["public_status"]) == (
        CDI_MOVE["classification"],
        CDI_MOVE["public_status"],
    )
    # Paul's file still runs: his contract keeps everything.
    assert export(api, world["paul"])["contracts"][0]["line_manager"] == CDI_MOVE["line_manager"]


@pytest.mark.parametrize(
    ("role", "own", "expected"),
    [
        ("legal", False, 200),
        ("admin", False, 200),
        ("structure", True, 200),
        ("structure", False, 404),
        ("auditor", False, 403),
        ("finance", False, 403),
        ("compliance", False, 403),
        ("service", False, 403),
    ],
)
def test_who_may_export_a_persons_data(api, world, role, own, expected):
    claims = {}
    if role == "structure":
        claims["structure_id"] = world["tampon"]["id"] if own else world["cantal"]["id"]

    response = get(api, f"/advisors/{world['ines']['id']}/personal-data", role, **claims)

    assert response.status_code == expected
    if expected == 404:
        assert response.get_json()["message"] == "Conseiller introuvable."
    if expected == 403:
        assert response.get_json()["message"] == f"Le rôle « {role} » ne permet pas cette opération."


def test_an_unknown_person_or_no_token_is_refused(api):
    unknown = get(api, "/advisors/00000000-0000-4000-8000-000000000000/personal-data")
    anonymous = api.client.get("/api/v1/advisors/00000000-0000-4000-8000-000000000000/personal-data")

    assert (unknown.status_code, unknown.get_json()["message"]) == (404, "Conseiller introuvable.")
    assert anonymous.status_code == 401
