"""The dashboard's posts and end dates (decision 0043): the conventions in force on a day, their posts and
the posts filled, by region and department; the conventions in force ending each month; and the
conventions list each figure leads to. Everything made through the API, as a legal officer would."""

from __future__ import annotations

import pytest

from cnum_shared.testing import bearer


@pytest.fixture
def programme(api):
    """Initial-wave conventions (public ones: 24 months; private: 18):

    A. Saint-Flour (15, region 84), 2 posts, 1 March 2021 → 28 February 2023; an advisor from 1 April
       2021 to 30 September 2022;
    B. Le Tampon (974, region 04), 1 post, 1 March 2021 → 28 February 2023; an advisor who left on
       31 December 2021;
    C. the association of the Val-de-Marne (94, region 11), 1 private post, 1 January 2021 → 30 June 2022;
    D. Mamoudzou (976), 1 post, 1 May 2021 → 30 April 2023, terminated on 31 January 2022;
    E. Sainte-Anne (971, region 01), 1 post, 1 July 2021 → 30 June 2023; an advisor from 1 September
       2022 to 30 June 2023;
    F. a second convention of Mamoudzou, never signed (a draft).
    """
    structures = {department: api.structure(department) for department in ("15", "974", "94", "976", "971")}

    def signed(department, posts, start, months):
        return api.convention(
            structures[department], posts=posts, start=start, months=months, signed_on=start
        )

    def hired(convention, start, end, number):
        advisor = api.call(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Conseiller",
                "last_name": f"Numéro {number}",
                "birth_date": "1990-05-04",
                "email": f"conseiller{number}@example.org",
                "structure_id": convention["structure_id"],
            },
        )
        return api.call(
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": start,
                "end_date": end,
                "weekly_hours": "35",
                "gross_monthly_salary": "1900.00",
                "signed_on": start,
            },
        )

    a = signed("15", 2, "2021-03-01", 24)
    b = signed("974", 1, "2021-03-01", 24)
    c = signed("94", 1, "2021-01-01", 18)
    d = signed("976", 1, "2021-05-01", 24)
    e = signed("971", 1, "2021-07-01", 24)
    api.convention(structures["976"], posts=1, start="2021-06-01", months=24)  # F, a draft
    hired(a, "2021-04-01", "2022-09-30", 1)
    left = hired(b, "2021-04-01", "2022-09-30", 2)
    api.call("POST", f"/contracts/{left['id']}/end", 200, {"ended_on": "2021-12-31", "reason": "resignation"})
    api.call("POST", f"/conventions/{d['id']}/terminate", 200, {"on": "2022-01-31", "reason": "Renonciation"})
    hired(e, "2022-09-01", "2023-06-30", 3)
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def posts(conventions, posts, filled):
    return {"conventions": conventions, "posts": posts, "filled": filled}


def test_posts_in_force_and_conventions_ending_are_counted_by_territory_and_month(api, programme):
    answer = api.call("GET", "/statistics/conventions?as_of=2022-06-10&months=12", 200, role="finance")

    assert answer["as_of"] == "2022-06-10"
    # On 10 June 2022: A, B, C and E are in force (D was terminated, F never signed): 2 + 1 + 1 + 1 posts;
    # A's advisor is in post, B's left, E's not yet arrived.
    assert answer["posts"]["total"] == posts(4, 2 + 1 + 1 + 1, 1)
    assert answer["posts"]["regions"] == [
        {"code": "01", "name": "Guadeloupe", **posts(1, 1, 0)},
        {"code": "04", "name": "La Réunion", **posts(1, 1, 0)},
        {"code": "11", "name": "Île-de-France", **posts(1, 1, 0)},
        {"code": "84", "name": "Auvergne-Rhône-Alpes", **posts(1, 2, 1)},
    ]
    assert answer["posts"]["departments"] == [
        {"code": "15", "name": "Cantal", "region": "84", **posts(1, 2, 1)},
        {"code": "94", "name": "Val-de-Marne", "region": "11", **posts(1, 1, 0)},
        {"code": "971", "name": "Guadeloupe", "region": "01", **posts(1, 1, 0)},
        {"code": "974", "name": "La Réunion", "region": "04", **posts(1, 1, 0)},
    ]
    endings = answer["endings"]
    # Twelve months from June 2022: C ends in June 2022 (1 post), A and B in February 2023 (2 + 1 posts);
    # D would end in April 2023 but was terminated.
    assert (endings["first_day"], endings["last_day"]) == ("2022-06-01", "2023-05-31")
    months = {month["month"]: (month["conventions"], month["posts"]) for month in endings["months"]}
    assert list(months) == [
        "2022-06", "2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12",
        "2023-01", "2023-02", "2023-03", "2023-04", "2023-05",
    ]  # fmt: skip
    assert {month: counted for month, counted in months.items() if counted != (0, 0)} == {
        "2022-06": (1, 1),
        "2023-02": (2, 2 + 1),
    }
    assert endings["months"][-1] == {
        "month": "2023-05",
        "first_day": "2023-05-01",
        "last_day": "2023-05-31",
        "conventions": 0,
        "posts": 0,
    }
    assert endings["ended_unclosed"] == {"before": "2022-06-01", "conventions": 0, "posts": 0}


def test_after_the_ends_the_conventions_not_closed_are_counted_apart(api, programme):
    answer = api.call("GET", "/statistics/conventions?as_of=2023-03-10", 200, role="legal")

    # On 10 March 2023 only E runs, its advisor in post; A, B and C ended and are not closed (2 + 1 + 1
    # posts); D, terminated, is not among them. Twelve months by default.
    assert answer["posts"]["total"] == posts(1, 1, 1)
    assert [region["code"] for region in answer["posts"]["regions"]] == ["01"]
    assert answer["endings"]["ended_unclosed"] == {"before": "2023-03-01", "conventions": 3, "posts": 4}
    assert len(answer["endings"]["months"]) == 12
    assert [m["month"] for m in answer["endings"]["months"] if m["conventions"]] == ["2023-06"]


def test_each_figure_leads_to_the_conventions_it_counts(api, programme):
    def references(query):
        return sorted(c["reference"] for c in api.call("GET", f"/conventions?{query}", 200))

    expected = {key: convention["reference"] for key, convention in programme.items()}
    assert references("active_on=2022-06-10") == sorted(expected[key] for key in "ABCE")
    assert references("active_on=2022-06-10&region=84") == [expected["A"]]
    assert references("active_on=2022-06-10&department=971") == [expected["E"]]
    assert references("running=true&ends_from=2023-02-01&ends_to=2023-02-28") == sorted(
        [expected["A"], expected["B"]]
    )
    assert references("running=true&ends_to=2023-02-28") == sorted(expected[key] for key in "ABC")
    assert references("department=15&region=04") == []


def test_the_figures_are_refused_to_structures_and_to_bad_input(api, client, programme):
    structure_id = programme["A"]["structure_id"]
    refused = client.get(
        "/api/v1/statistics/conventions", headers=bearer("structure", structure_id=structure_id)
    )
    assert refused.status_code == 403
    for role in ("compliance", "service", "reporter"):
        assert client.get("/api/v1/statistics/conventions", headers=bearer(role)).status_code == 403
    for role in ("legal", "finance", "admin", "auditor"):
        assert client.get("/api/v1/statistics/conventions", headers=bearer(role)).status_code == 200
    for query in ("months=0", "months=37", "as_of=2022-02-30", "as_of=9999-12-31"):
        response = client.get(f"/api/v1/statistics/conventions?{query}", headers=bearer("legal"))
        assert response.status_code == 422, query
    for query in ("department=99", "region=99", "active_on=demain"):
        assert client.get(f"/api/v1/conventions?{query}", headers=bearer("legal")).status_code == 422
