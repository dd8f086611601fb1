"""Conventions over HTTP: amounts from the dated parameters, signature, end and avenants, and each refusal."""

import pytest


def amounts(convention):
    return [(tranche["due_on"], tranche["amount"]) for tranche in convention["tranches"]]


@pytest.mark.parametrize(
    ("index", "wave", "start", "months", "per_post", "tranches"),
    [
        ("974", "initial", "2021-03-01", 24, "67500.00", ["54000.00", "54000.00", "27000.00"]),
        ("971", "initial", "2021-03-01", 36, "70000.00", ["56000.00", "56000.00", "28000.00"]),
        ("15", "initial", "2021-03-01", 24, "50000.00", ["40000.00", "40000.00", "20000.00"]),
        ("94", "initial", "2021-03-01", 18, "32000.00", ["25600.00", "25600.00", "12800.00"]),
        ("15", "renewal", "2023-06-01", 36, "50000.00", ["40000.00", "35000.00", "25000.00"]),
        ("974", "renewal", "2023-06-01", 36, "42500.00", ["35000.00", "25000.00", "25000.00"]),
        ("976", "renewal", "2023-06-01", 36, "50000.00", ["40000.00", "35000.00", "25000.00"]),
        ("94", "renewal", "2023-06-01", 36, "44000.00", ["40000.00", "28000.00", "20000.00"]),
    ],
)
def test_a_convention_takes_its_amounts_from_the_parameters_at_its_start(
    api, index, wave, start, months, per_post, tranches
):
    convention = api.convention(api.structure(index), wave=wave, start=start, months=months)

    assert convention["status"] == "draft"
    assert convention["amount_per_post"] == per_post
    assert [tranche["amount"] for tranche in convention["tranches"]] == tranches
    assert convention["tranches"][0]["due_on"] is None
    assert convention["reference"].startswith(f"CNUM-{start[:4]}-")


def test_the_end_date_and_the_due_dates_count_from_the_start(api):
    convention = api.convention(api.structure("94"), start="2021-01-31", months=18)

    assert convention["end_date"] == "2022-07-30"
    assert [tranche["due_on"] for tranche in convention["tranches"]] == [None, "2021-10-31", "2022-07-31"]
    assert convention["total_amount"] == "64000.00"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"duration_months": 20}, "duration_months", "durées possibles : de 24 à 36 mois"),
        (
            {"duration_months": 37},
            "duration_months",
            "Must be greater than or equal to 1 and less than or equal to 36.",
        ),
        ({"posts": 0}, "posts", None),
        ({"start_date": "2020-10-31"}, "start_date", "à partir du 1er novembre 2020"),
        (
            {"wave": "renewal", "start_date": "2022-12-31", "duration_months": 36},
            "start_date",
            "1er janvier 2023",
        ),
        ({"wave": "v3"}, "wave", None),
        ({"structure_id": "00000000-0000-0000-0000-000000000000"}, "structure_id", "Structure inconnue."),
    ],
)
def test_a_convention_that_breaks_a_rule_is_refused(api, change, field, words):
    structure = api.structure("974")
    body = {"structure_id": structure["id"], "wave": "initial", "posts": 2, "start_date": "2021-03-01"}
    body["duration_months"] = 24
    body.update(change)

    refused = api.call("POST", "/conventions", 422, body)

    assert field in refused["errors"]["json"]
    if words:
        assert words in " ".join(refused["errors"]["json"][field])
    assert api.call("GET", "/conventions", 200) == []


def test_signing_sets_the_first_due_date_and_signing_twice_is_a_conflict(api, app):
    convention = api.convention(api.structure("974"))

    signed = api.call("POST", f"/conventions/{convention['id']}/sign", 200, {"signed_on": "2021-03-15"})
    again = api.call("POST", f"/conventions/{convention['id']}/sign", 409, {"signed_on": "2021-03-16"})

    assert signed["status"] == "signed"
    assert amounts(signed) == [
        ("2021-03-15", "54000.00"),
        ("2022-03-01", "54000.00"),
        ("2023-03-01", "27000.00"),
    ]
    assert again["message"] == "Impossible de signer une convention signée."


def test_only_legal_officers_write_and_a_structure_reads_its_own(api):
    tampon = api.structure("974")
    flour = api.structure("15")
    convention = api.convention(tampon)
    body = {"structure_id": tampon["id"], "wave": "initial", "posts": 1, "start_date": "2021-03-01"}

    api.call("POST", "/conventions", 403, {**body, "duration_months": 24}, role="finance")
    api.call("POST", "/conventions", 401, {**body, "duration_months": 24}, role="legal", ttl_seconds=0)
    api.call("GET", f"/conventions/{convention['id']}", 200, role="structure", structure_id=tampon["id"])
    api.call("GET", f"/conventions/{convention['id']}", 404, role="structure", structure_id=flour["id"])
    assert api.call("GET", "/conventions", 200, role="structure", structure_id=flour["id"]) == []
    assert len(api.call("GET", "/conventions", 200, role="auditor")) == 1
    api.call("GET", "/conventions/00000000-0000-0000-0000-000000000000", 404)


def test_terminating_needs_a_signed_convention(api):
    convention = api.convention(api.structure("974"))
    end = {"on": "2021-12-31", "reason": "La commune renonce."}

    api.call("POST", f"/conventions/{convention['id']}/terminate", 409, end)
    api.call("POST", f"/conventions/{convention['id']}/sign", 200, {"signed_on": "2021-03-15"})
    terminated = api.call("POST", f"/conventions/{convention['id']}/terminate", 200, end)
    api.call("POST", f"/conventions/{convention['id']}/close", 409, end)

    assert (terminated["status"], terminated["ended_on"], terminated["end_reason"]) == (
        "terminated",
        "2021-12-31",
        "La commune renonce.",
    )


def test_an_avenant_changes_the_posts_and_spreads_the_new_total_on_later_tranches(api):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")
    path = f"/conventions/{convention['id']}/amendments"

    draft = api.call(
        "POST", path, 201, {"posts": 3, "effective_date": "2022-03-01", "reason": "Un poste de plus"}
    )
    # 12 months at 2 posts and 12 at 3, over 24 funded months: 67 500 × (24 + 36) / 24.
    assert (draft["number"], draft["status"], draft["total_before"], draft["total_amount"]) == (
        1,
        "draft",
        "135000.00",
        "168750.00",
    )
    signed = api.call("POST", f"{path}/{draft['id']}/sign", 200, {"signed_on": "2022-02-20"})
    after = api.call("GET", f"/conventions/{convention['id']}", 200)

    assert signed["status"] == "signed"
    assert (after["status"], after["posts"], after["initial_posts"], after["total_amount"]) == (
        "amended",
        3,
        2,
        "168750.00",
    )
    assert amounts(after) == [
        ("2021-03-15", "54000.00"),
        ("2022-03-01", "76500.00"),
        ("2023-03-01", "38250.00"),
    ]
    api.call("POST", f"{path}/{draft['id']}/sign", 409, {"signed_on": "2022-02-21"})
    assert [amendment["number"] for amendment in api.call("GET", path, 200)] == [1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"posts": 2, "effective_date": "2022-03-01", "reason": "Rien"}, "posts"),
        ({"posts": 3, "effective_date": "2023-03-01", "reason": "Trop tard"}, "effective_date"),
        ({"posts": 3, "effective_date": "2021-03-10", "reason": "Avant la signature"}, "effective_date"),
        ({"posts": -1, "effective_date": "2022-03-01", "reason": "Négatif"}, "posts"),
    ],
)
def test_an_avenant_that_breaks_a_rule_is_refused(api, body, field):
    convention = api.convention(api.structure("974"), signed_on="2021-03-15")

    refused = api.call("POST", f"/conventions/{convention['id']}/amendments", 422, body)

    assert field in refused["errors"]["json"]


def test_an_avenant_to_a_draft_is_a_conflict(api):
    convention = api.convention(api.structure("974"))

    api.call(
        "POST",
        f"/conventions/{convention['id']}/amendments",
        409,
        {"posts": 3, "effective_date": "2022-03-01", "reason": "Trop tôt"},
    )


def test_conventions_are_found_by_reference_structure_name_or_siret(api):
    cantal = api.convention(api.structure("15"))
    reunion = api.convention(api.structure("974"))
    found = {
        q: [c["id"] for c in api.call("GET", f"/conventions?q={q}", 200)]
        for q in (cantal["reference"].lower(), "Saint-Flour", reunion["reference"][-8:])
    }
    structure = api.call("GET", f"/structures/{cantal['structure_id']}", 200)

    assert found[cantal["reference"].lower()] == [cantal["id"]]
    assert found["Saint-Flour"] == [cantal["id"]]  # "Commune de Saint-Flour", whatever the case
    assert found[reunion["reference"][-8:]] == [reunion["id"]]
    assert [c["id"] for c in api.call("GET", f"/conventions?q={structure['siret']}", 200)] == [cantal["id"]]
    assert api.call("GET", "/conventions?q=100%25", 200) == []  # a wildcard is a character, not "anything"


def test_conventions_name_their_structure(api):
    cantal = api.convention(api.structure("15"))
    structure = api.call("GET", f"/structures/{cantal['structure_id']}", 200)

    listed = api.call("GET", f"/conventions?structure_id={cantal['structure_id']}", 200)
    assert [c["structure_name"] for c in listed] == [structure["name"]]
    assert api.call("GET", f"/conventions/{cantal['id']}", 200)["structure_name"] == structure["name"]
