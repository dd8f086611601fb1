"""A structure user asking for another structure's resource by id gets exactly the answer given for an id
that does not exist (issue 15: errors reveal nothing of other structures, not even that the id exists)."""

UNKNOWN = "00000000-0000-4000-8000-00000000cafe"


def test_another_structure_s_resources_are_answered_as_ids_that_do_not_exist(api):
    theirs = api.structure("974")
    own = api.structure("15")
    convention = api.convention(theirs, wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01")
    person = {
        "first_name": "Inès",
        "last_name": "Payet",
        "birth_date": "1990-05-04",
        "email": "i@example.org",
    }
    advisor = api.call("POST", "/advisors", 201, {**person, "structure_id": theirs["id"]})
    contract = api.call(
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        {
            "advisor_id": advisor["id"],
            "contract_type": "cdi",
            "existing_cdi_employee": True,
            "original_contract_start_date": "2019-09-02",
            "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
            "line_manager": "Josiane Grondin, directrice de la médiathèque",
            "classification": "adjoint territorial d'animation, échelon 4",
            "public_status": "contractuel",
            "start_date": "2026-02-01",
            "weekly_hours": "35",
            "gross_monthly_salary": "1900.00",
            "signed_on": "2026-01-20",
        },
    )
    other = api.call("POST", "/advisors", 201, {**person, "structure_id": theirs["id"]})
    candidate = api.call(
        "POST",
        f"/conventions/{convention['id']}/candidates",
        201,
        {"advisor_id": other["id"], "presented_on": "2026-01-10"},
    )
    as_own = {"role": "structure", "structure_id": own["id"]}
    requests = [
        ("GET", "/conventions/{}", convention["id"], None),
        ("GET", "/conventions/{}/contracts", convention["id"], None),
        ("GET", "/conventions/{}/document?format=docx", convention["id"], None),
        ("GET", "/conventions/{}/signed-copies", convention["id"], None),
        (
            "POST",
            "/conventions/{}/candidates",
            convention["id"],
            {"advisor_id": UNKNOWN, "presented_on": "2026-01-10"},
        ),
        ("GET", "/contracts/{}", contract["id"], None),
        ("GET", "/contracts/{}/amendment?format=docx", contract["id"], None),
        ("POST", "/contracts/{}/end", contract["id"], {"ended_on": "2026-06-30", "reason": "resignation"}),
        (
            "POST",
            "/contracts/{}/salary",
            contract["id"],
            {"gross_monthly_salary": "2000.00", "effective_on": "2026-03-01"},
        ),
        ("GET", "/advisors/{}", advisor["id"], None),
        ("POST", "/candidates/{}/select", candidate["id"], {"selected_on": "2026-01-15"}),
    ]

    for method, path, foreign_id, body in requests:
        foreign = api.call(method, path.format(foreign_id), 404, body, **as_own)
        missing = api.call(method, path.format(UNKNOWN), 404, body, **as_own)
        assert foreign == missing, path
        for secret in (theirs["id"], theirs["name"], "Payet"):
            assert secret not in str(foreign), path
    # And nothing changed for the structure that owns them.
    assert api.call("GET", f"/contracts/{contract['id']}", 200)["ended_on"] is None


def test_a_structure_filtering_the_conventions_by_another_structure_sees_only_its_own(api):
    theirs = api.structure("974")
    own = api.structure("15")
    api.convention(theirs)
    mine = api.convention(own)

    listed = api.call(
        "GET", f"/conventions?structure_id={theirs['id']}", 200, role="structure", structure_id=own["id"]
    )

    assert [convention["id"] for convention in listed] == [mine["id"]]
