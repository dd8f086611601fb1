"""Advisors, candidates and contracts over HTTP: eligibility, full time, SMIC, posts, each refusal."""

import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer
from conventions.adapters.orm import Contract

NBSP, NNBSP = "\xa0", "\u202f"


#: What the avenant of a public employer's contractual agent states (decision 0026).
AGENT_MOVE = {
    "original_contract_start_date": "2019-09-02",
    "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
    "line_manager": "Josiane Grondin, directrice de la médiathèque",
    "classification": "adjoint territorial d'animation, échelon 4",
    "public_status": "contractuel",
}


@pytest.fixture
def hiring(api):
    """A signed renewal convention of 2 posts in La Réunion, and a way to hire on it."""
    structure = api.structure("974")
    convention = api.convention(
        structure, wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01"
    )

    class Hiring:
        def __init__(self):
            self.structure = structure
            self.convention = convention

        def advisor(self, birth_date="1990-05-04", **facts):
            body = {
                "first_name": "Inès",
                "last_name": "Payet",
                "birth_date": birth_date,
                "email": "ines.payet@example.org",
                "structure_id": structure["id"],
                **facts,
            }
            return api.call("POST", "/advisors", 201, body)

        def contract(self, expected=201, convention=None, advisor=None, **changes):
            body = {
                "advisor_id": (advisor or self.advisor())["id"],
                "contract_type": "cdd",
                "start_date": "2026-01-01",
                "end_date": "2027-12-31",
                "weekly_hours": "35",
                "gross_monthly_salary": "1823.03",
                "signed_on": "2025-12-15",
                **changes,
            }
            return api.call(
                "POST", f"/conventions/{(convention or self.convention)['id']}/contracts", expected, body
            )

    return Hiring()


def test_a_contract_paid_exactly_the_smic_is_recorded(hiring):
    contract = hiring.contract()

    assert (contract["contract_type"], contract["gross_monthly_salary"], contract["weekly_hours"]) == (
        "cdd",
        "1823.03",
        "35.00",
    )
    assert contract["structure_id"] == hiring.structure["id"]


def test_a_salary_one_cent_below_the_smic_is_refused_with_the_smic_and_its_date(hiring, app):
    refused = hiring.contract(422, gross_monthly_salary="1823.02")

    assert refused["errors"]["rules"][0]["code"] == "below_smic"
    assert refused["errors"]["smic_monthly"] == "1823.03"
    assert refused["errors"]["smic_from"] == "2026-01-01"
    assert f"1{NNBSP}823,03{NBSP}€" in refused["message"]
    assert "1er janvier 2026" in refused["message"]
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_the_smic_of_the_day_before_a_change_applies_to_a_start_that_day(hiring):
    hiring.contract(start_date="2025-12-31", signed_on="2025-12-31", gross_monthly_salary="1801.80")
    refused = hiring.contract(422, start_date="2026-01-01", gross_monthly_salary="1801.80")

    assert refused["errors"]["smic_monthly"] == "1823.03"


def test_in_mayotte_a_salary_between_the_two_smics_is_accepted(api):
    structure = api.structure("976")
    convention = api.convention(
        structure, wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01"
    )
    advisor = api.call(
        "POST",
        "/advisors",
        201,
        {
            "first_name": "Anfane",
            "last_name": "Madi",
            "birth_date": "1998-02-10",
            "email": "a.madi@example.org",
            "structure_id": structure["id"],
        },
    )
    body = {
        "advisor_id": advisor["id"],
        "contract_type": "cdi",
        "start_date": "2026-03-01",
        "weekly_hours": "35",
        "signed_on": "2026-02-20",
    }
    path = f"/conventions/{convention['id']}/contracts"

    refused = api.call("POST", path, 422, {**body, "gross_monthly_salary": "1415.04"})
    accepted = api.call("POST", path, 201, {**body, "gross_monthly_salary": "1500.00"})

    assert refused["errors"]["smic_monthly"] == "1415.05"
    assert accepted["gross_monthly_salary"] == "1500.00"


def test_every_broken_eligibility_rule_is_named_in_one_refusal(hiring):
    advisor = hiring.advisor(
        birth_date="2010-06-01", is_retired=True, in_civic_service=True, is_france_services_agent=True
    )

    refused = hiring.contract(422, advisor=advisor, weekly_hours="30", gross_monthly_salary="1500.00")

    assert [rule["code"] for rule in refused["errors"]["rules"]] == [
        "age_out_of_range",
        "retired",
        "civic_service",
        "france_services_agent",
        "not_full_time",
        "below_smic",
    ]
    assert all(rule["message"] for rule in refused["errors"]["rules"])


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [("2009-12-31", 201), ("2010-01-02", 422), ("1961-01-02", 201), ("1961-01-01", 422)],
)
def test_an_advisor_is_eligible_from_16_to_64_on_the_start_date(hiring, birth_date, expected):
    answer = hiring.contract(expected, advisor=hiring.advisor(birth_date=birth_date))

    if expected == 422:
        assert [rule["code"] for rule in answer["errors"]["rules"]] == ["age_out_of_range"]


def test_a_cdd_for_an_existing_cdi_employee_is_refused_and_nothing_is_stored(hiring, app):
    refused = hiring.contract(422, existing_cdi_employee=True, **AGENT_MOVE)
    moved = hiring.contract(201, existing_cdi_employee=True, contract_type="cdi", end_date=None, **AGENT_MOVE)

    assert [rule["code"] for rule in refused["errors"]["rules"]] == ["cdd_for_cdi_employee"]
    assert moved["existing_cdi_employee"] is True
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": None}, "end_date"),
        ({"contract_type": "cdi"}, "end_date"),
        ({"end_date": "2025-12-01"}, "end_date"),
        ({"signed_on": "2026-01-02"}, "signed_on"),
        ({"start_date": "2030-01-01", "end_date": "2030-06-30"}, "start_date"),
        ({"contract_type": "interim"}, "contract_type"),
        ({"gross_monthly_salary": "-5"}, "gross_monthly_salary"),
        ({"weekly_hours": "abc"}, "weekly_hours"),
    ],
)
def test_a_contract_with_a_wrong_field_is_refused(hiring, changes, field):
    refused = hiring.contract(422, **changes)

    assert field in refused["errors"]["json"]


def test_no_more_active_contracts_than_posts(hiring, api):
    first = hiring.contract()
    hiring.contract()

    full = hiring.contract(409)
    api.call(
        "POST", f"/contracts/{first['id']}/end", 200, {"ended_on": "2026-06-30", "reason": "resignation"}
    )
    hiring.contract(409, start_date="2026-06-30", signed_on="2026-06-01")
    refill = hiring.contract(start_date="2026-07-01", signed_on="2026-06-20")

    assert "2 poste(s)" in full["message"]
    assert refill["start_date"] == "2026-07-01"


def test_a_contract_needs_a_signed_convention(api, hiring):
    draft = api.convention(hiring.structure, wave="renewal", start="2024-09-01", months=36)

    refused = hiring.contract(409, convention=draft)

    assert "signée" in refused["message"]


def test_ending_a_contract_needs_a_known_reason_and_happens_once(hiring, api):
    contract = hiring.contract()
    path = f"/contracts/{contract['id']}/end"

    api.call("POST", path, 422, {"ended_on": "2026-06-30", "reason": "boredom"})
    api.call("POST", path, 422, {"ended_on": "2025-12-01", "reason": "resignation"})
    ended = api.call("POST", path, 200, {"ended_on": "2026-06-30", "reason": "mutual_agreement"})
    api.call("POST", path, 409, {"ended_on": "2026-07-30", "reason": "resignation"})

    assert (ended["ended_on"], ended["end_reason"]) == ("2026-06-30", "mutual_agreement")


def test_a_raise_is_recorded_and_a_cut_below_the_smic_is_refused(hiring, api):
    contract = hiring.contract(gross_monthly_salary="1900.00")
    path = f"/contracts/{contract['id']}/salary"

    raised = api.call("POST", path, 201, {"gross_monthly_salary": "1950.00", "effective_on": "2026-09-01"})
    cut = api.call("POST", path, 422, {"gross_monthly_salary": "1800.00", "effective_on": "2026-10-01"})
    outside = api.call("POST", path, 422, {"gross_monthly_salary": "2000.00", "effective_on": "2028-01-01"})

    assert raised["gross_monthly_salary"] == "1950.00"
    assert cut["errors"]["smic_monthly"] == "1823.03"
    assert "effective_on" in outside["errors"]["json"]
    assert api.call("GET", f"/contracts/{contract['id']}", 200)["gross_monthly_salary"] == "1950.00"


def test_candidates_are_presented_then_selected_once(hiring, api):
    advisor = hiring.advisor()
    path = f"/conventions/{hiring.convention['id']}/candidates"

    candidate = api.call("POST", path, 201, {"advisor_id": advisor["id"], "presented_on": "2025-10-01"})
    api.call("POST", path, 409, {"advisor_id": advisor["id"], "presented_on": "2025-10-02"})
    api.call("POST", f"/candidates/{candidate['id']}/select", 422, {"selected_on": "2025-09-30"})
    selected = api.call("POST", f"/candidates/{candidate['id']}/select", 200, {"selected_on": "2025-10-10"})
    api.call("POST", f"/candidates/{candidate['id']}/select", 409, {"selected_on": "2025-10-11"})

    assert selected["selected_on"] == "2025-10-10"


def test_a_structure_sees_its_own_advisors_and_contracts_only(hiring, api):
    other = api.structure("15")
    own = hiring.structure["id"]
    advisor = api.call(
        "POST",
        "/advisors",
        201,
        {"first_name": "Léa", "last_name": "Hoarau", "birth_date": "1992-03-03", "email": "lea@example.org"},
        role="structure",
        structure_id=own,
    )
    contract = hiring.contract(advisor=advisor)

    api.call("GET", f"/advisors/{advisor['id']}", 200, role="structure", structure_id=own)
    api.call("GET", f"/advisors/{advisor['id']}", 404, role="structure", structure_id=other["id"])
    api.call("GET", f"/contracts/{contract['id']}", 200, role="structure", structure_id=own)
    api.call("GET", f"/contracts/{contract['id']}", 404, role="structure", structure_id=other["id"])
    api.call("GET", f"/advisors/{advisor['id']}", 403, role="auditor")
    api.call("POST", f"/conventions/{hiring.convention['id']}/contracts", 403, {}, role="finance")


def test_the_employment_contract_avenant_is_for_legal_officers_and_its_structure_not_auditors(hiring, api):
    """DESIGN §5: the avenant (an employee's personal data) goes to legal officers and its own structure;
    an auditor, who reads everything else, gets a 403 (issue 15)."""
    moved = hiring.contract(201, existing_cdi_employee=True, contract_type="cdi", end_date=None, **AGENT_MOVE)
    other = api.structure("15")
    path = f"/api/v1/contracts/{moved['id']}/amendment?format=docx"

    def get(role, **claims):
        return api.client.get(path, headers=bearer(role, **claims))

    auditor = get("auditor")
    legal = get("legal")
    own = get("structure", structure_id=hiring.structure["id"])
    foreign = get("structure", structure_id=other["id"])

    assert auditor.status_code == 403
    assert auditor.get_json()["code"] == 403 and auditor.get_json()["status"] == "Forbidden"
    assert legal.status_code == own.status_code == 200
    assert legal.data == own.data
    assert foreign.status_code == 404
    assert get("finance").status_code == 403
