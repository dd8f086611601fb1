"""Conventions over HTTP: amounts from the dated parameters, signature, end and avenants, and each refusal."""

import pytest

from conventions.demo import DEMO_STRUCTURES

BY_DEPARTMENT = {fields["department"]: fields for fields in DEMO_STRUCTURES}


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
        # The initial wave covers the conventions starting up to 31 December 2022 (DESIGN §3).
        ({"start_date": "2023-01-01"}, "start_date", "au 31 décembre 2022"),
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


def test_a_convention_states_its_funded_periods_and_their_monthly_rates(api):
    initial = api.convention(api.structure("974"), start="2021-03-01", months=24)
    renewal = api.convention(api.structure("15"), wave="renewal", start="2023-06-01", months=36)

    # Initial wave, La Réunion: one period of the 24 funded months at 67 500 € a post,
    # 67 500 ÷ 24 = 2 812,50 € a month.
    assert initial["funding_periods"] == [
        {
            "number": 1,
            "starts_on": "2021-03-01",
            "ends_on": "2023-02-28",
            "months": 24,
            "amount_per_post": "67500.00",
            "monthly_rate": "2812.50",
        }
    ]
    # Renewal, Saint-Flour (QPV/ZRR): one period per convention year at 20 000, 17 500 and 12 500 € a
    # post; 20 000 ÷ 12 = 1 666,666… → 1 666,67; 17 500 ÷ 12 = 1 458,333… → 1 458,33;
    # 12 500 ÷ 12 = 1 041,666… → 1 041,67.
    assert [
        (p["starts_on"], p["ends_on"], p["months"], p["amount_per_post"], p["monthly_rate"])
        for p in renewal["funding_periods"]
    ] == [
        ("2023-06-01", "2024-05-31", 12, "20000.00", "1666.67"),
        ("2024-06-01", "2025-05-31", 12, "17500.00", "1458.33"),
        ("2025-06-01", "2026-05-31", 12, "12500.00", "1041.67"),
    ]


def test_a_renewal_needs_an_earlier_signed_convention_of_the_same_structure(api):
    structure = api.structure("974")
    body = {
        "structure_id": structure["id"],
        "wave": "renewal",
        "posts": 1,
        "start_date": "2023-06-01",
        "duration_months": 36,
    }

    refused = api.call("POST", "/conventions", 422, body)
    api.convention(structure, start="2021-03-01")  # a draft is not a signed convention
    still = api.call("POST", "/conventions", 422, body)
    api.convention(structure, start="2021-06-01", signed_on="2021-06-15")
    accepted = api.call("POST", "/conventions", 201, body)

    message = refused["errors"]["json"]["wave"][0]
    assert "Un renouvellement suppose une convention antérieure signée" in message
    assert still["errors"]["json"]["wave"] == refused["errors"]["json"]["wave"]
    assert (accepted["wave"], accepted["amount_per_post"]) == ("renewal", "42500.00")


def test_from_the_2025_freeze_no_convention_is_signed(api):
    structure = api.structure("974")
    convention = api.convention(structure, wave="renewal", start="2025-06-01", months=36)
    path = f"/conventions/{convention['id']}/sign"

    refused = api.call("POST", path, 422, {"signed_on": "2025-05-14"})
    unchanged = api.call("GET", f"/conventions/{convention['id']}", 200)
    signed = api.call("POST", path, 200, {"signed_on": "2025-05-13"})

    assert refused["errors"]["rules"][0]["code"] == "funding_freeze"
    assert "Loi n° 2025-127 du 14 février 2025" in refused["message"]
    assert "depuis le 14 mai 2025, le financement du dispositif est gelé" in refused["message"]
    assert refused["errors"]["funding_freeze_from"] == "2025-05-14"
    assert (unchanged["status"], unchanged["signed_on"]) == ("draft", None)
    assert signed["status"] == "signed"


def test_from_the_2025_freeze_an_avenant_may_reduce_posts_but_not_add_any(api):
    convention = api.convention(
        api.structure("974"), wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01"
    )
    path = f"/conventions/{convention['id']}/amendments"
    more = api.call("POST", path, 201, {"posts": 3, "effective_date": "2025-09-01", "reason": "Un de plus"})
    fewer = api.call("POST", path, 201, {"posts": 1, "effective_date": "2025-09-01", "reason": "Un de moins"})

    refused = api.call("POST", f"{path}/{more['id']}/sign", 422, {"signed_on": "2025-06-02"})
    signed = api.call("POST", f"{path}/{fewer['id']}/sign", 200, {"signed_on": "2025-06-02"})

    assert refused["errors"]["rules"][0]["code"] == "funding_freeze"
    assert refused["message"].startswith(
        "Signature impossible le 2 juin 2025 de l'avenant n° 1, qui fait passer la convention de 2 à 3 postes"
    )
    assert signed["status"] == "signed"
    assert api.call("GET", f"/conventions/{convention['id']}", 200)["posts"] == 1


def test_a_renewal_avenant_counts_each_convention_year_at_its_own_amount(api):
    convention = api.convention(
        api.structure("974"), wave="renewal", start="2023-06-01", months=36, signed_on="2023-06-15"
    )
    path = f"/conventions/{convention['id']}/amendments"

    draft = api.call(
        "POST", path, 201, {"posts": 3, "effective_date": "2024-01-01", "reason": "Un poste de plus"}
    )

    # La Réunion, public, renewal: 17 500 / 12 500 / 12 500 € a post; 2 posts = 85 000 €.
    # The third post counts from month 8 (January 2024): year 1, 5 of 12 months: 17 500 × 5 ÷ 12 =
    # 7 291,666…; years 2 and 3 whole: 12 500 + 12 500. 85 000 + 32 291,666… = 117 291,67 €.
    assert (draft["total_before"], draft["total_amount"]) == ("85000.00", "117291.67")
    # The 32 291,67 € go to tranches 2 and 3 (due 2024-06-01 and 2025-06-01, 25 000 € each), half each:
    # 16 145,835 → 16 145,84, and the last takes the remainder, 16 145,83.
    assert [(t["number"], t["due_on"], t["amount"]) for t in draft["tranches"]] == [
        (1, "2023-06-15", "35000.00"),
        (2, "2024-06-01", "41145.84"),
        (3, "2025-06-01", "41145.83"),
    ]
    api.call("POST", f"{path}/{draft['id']}/sign", 200, {"signed_on": "2024-01-10"})
    after = api.call("GET", f"/conventions/{convention['id']}", 200)
    assert amounts(after) == [
        ("2023-06-15", "35000.00"),
        ("2024-06-01", "41145.84"),
        ("2025-06-01", "41145.83"),
    ]
    assert after["total_amount"] == "117291.67"


def test_an_avenant_signed_before_its_convention_or_a_convention_before_the_programme_is_a_422(api):
    # Found by the fuzzer (tests/fuzz): both were a 500, the funding-freeze parameter having no value
    # before the programme's first date (1 November 2020).
    early = api.convention(api.structure("974"))
    refused = api.call("POST", f"/conventions/{early['id']}/sign", 422, {"signed_on": "2019-06-01"})
    assert refused["errors"]["json"]["signed_on"] == [
        "Une convention ne peut être signée avant le début du programme, le 1er novembre 2020."
    ]
    assert api.call("GET", f"/conventions/{early['id']}", 200)["status"] == "draft"

    convention = api.convention(api.structure("15"), signed_on="2021-03-15")
    path = f"/conventions/{convention['id']}/amendments"
    draft = api.call("POST", path, 201, {"posts": 3, "effective_date": "2022-03-01", "reason": "Un poste"})
    refused = api.call("POST", f"{path}/{draft['id']}/sign", 422, {"signed_on": "2021-03-14"})
    assert refused["errors"]["json"]["signed_on"] == [
        "Un avenant ne peut être signé avant la convention qu'il modifie, signée le 15 mars 2021."
    ]
    assert api.call("GET", path, 200)[0]["status"] == "draft"
    assert api.call("GET", f"/conventions/{convention['id']}", 200)["posts"] == 2


def test_a_nul_character_in_a_query_or_a_body_is_a_422_never_a_500(api):
    # Found by the fuzzer on PostgreSQL, which refuses NUL in text: GET /audit?actor=… was a 500.
    refused = api.call("GET", "/audit?actor=al%00ice", 422, role="auditor")
    assert (refused["message"], refused["errors"]) == (
        "Caractère NUL interdit.",
        {"query": {"actor": ["caractère NUL interdit"]}},
    )
    refused = api.call("GET", "/conventions?q=Tam%00pon", 422)
    assert refused["errors"] == {"query": {"q": ["caractère NUL interdit"]}}
    body = {**BY_DEPARTMENT["974"], "name": "Commune\x00 du Tampon"}
    refused = api.call("POST", "/structures", 422, body)
    assert refused["errors"] == {"json": {"_schema": ["caractère NUL interdit"]}}
    assert api.call("GET", "/structures", 200) == []
