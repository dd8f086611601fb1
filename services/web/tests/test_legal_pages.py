"""The legal officers' pages in the DSFR's components, and their forms' refusals said under the field they
are about (issue 20, points 1 and 2): a new convention's posts and duration, a signature's date, whether the
web front or the conventions service refuses them.

The conventions service is its real app on a test database of each backend; the web front reaches it
through its own HTTP client."""

from __future__ import annotations

import pytest

from cnum_shared.testing import TestDatabases, bearer, service_app
from conventions import create_app as create_conventions
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR
from services.web.tests.forms import alerts, message_under

CONVENTIONS_URL = "http://conventions.internal"


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path):
    database_url = test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR)
    with service_app(create_conventions, database_url, tmp_path / "conventions") as app:
        yield app


@pytest.fixture
def claire(web_app, web_to, browser_of, conventions):
    """Claire, a legal officer, signed in on a web front that reaches the conventions app."""
    web = web_app(conventions_url=CONVENTIONS_URL)
    web_to(web, CONVENTIONS_URL, conventions, "10.0.0.2")
    browser = browser_of(web.test_client())
    assert browser.sign_in("claire.martin").status_code == 302
    return browser


def call(app, method, path, json=None):
    response = app.test_client().open(f"/api/v1{path}", method=method, json=json, headers=bearer("legal"))
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def page_of(browser, path: str) -> str:
    response = browser.client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_a_new_convention_refused_for_a_field_says_so_under_it(claire, conventions):
    structure = call(conventions, "POST", "/structures", DEMO_STRUCTURES[0])
    form = page_of(claire, "/conventions/nouvelle")
    assert '<select class="fr-select" id="structure_id" name="structure_id"' in form
    fields = {
        "csrf_token": claire.csrf_token("/conventions/nouvelle"),
        "structure_id": structure["id"],
        "wave": "initial",
        "posts": "1",
        "start_date": "2021-03-01",
        "duration_months": "24",
    }

    def refused(**changed: str) -> str:
        # The form is drawn again with what was typed: the page of the POST itself.
        answer = claire.client.post("/conventions/nouvelle", data={**fields, **changed})
        assert answer.status_code == 200, answer.headers.get("Location")
        return answer.get_data(as_text=True)

    # Not a whole number: refused by the web front, under the field, the other one left alone.
    page = refused(posts="deux")
    assert message_under(page, "posts") == "Le nombre de postes est un nombre entier."
    assert "Convention refusée : le nombre de postes est un nombre entier." in alerts(page)
    assert 'id="duration_months-message-error"' not in page
    assert 'value="deux"' in page  # what was typed is kept

    # Out of the service's range: its words, under the field it names.
    page = refused(posts="0")
    assert message_under(page, "posts")
    assert any(alert.startswith("Convention refusée :") for alert in alerts(page)), alerts(page)
    page = refused(duration_months="40")
    assert message_under(page, "duration_months")
    assert 'id="posts-message-error"' not in page

    # Both fine: the convention is made, and nothing is said under any field.
    made = claire.client.post("/conventions/nouvelle", data=fields)
    assert made.status_code == 302
    page = page_of(claire, made.headers["Location"])
    assert "créée (brouillon)" in page and "fr-message--error" not in page


def test_a_signature_without_its_date_says_so_under_it(claire, conventions):
    structure = call(conventions, "POST", "/structures", DEMO_STRUCTURES[0])
    draft = call(
        conventions,
        "POST",
        "/conventions",
        {
            "structure_id": structure["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": "2021-03-01",
            "duration_months": 24,
        },
    )
    path = f"/conventions/{draft['id']}"

    def sign(signed_on: str) -> str:
        sent = claire.client.post(
            f"{path}/signer", data={"csrf_token": claire.csrf_token(path), "signed_on": signed_on}
        )
        assert (sent.status_code, sent.headers["Location"]) == (302, path)
        return page_of(claire, path)

    page = sign("")
    assert message_under(page, "signed_on") == "La date de signature est obligatoire."
    assert "Signature refusée : la date de signature est obligatoire." in alerts(page)

    page = sign("1899-12-31")  # a date the service refuses: its words, under the field
    assert message_under(page, "signed_on").startswith("Date attendue entre")
    assert call(conventions, "GET", path)["status"] == "draft"

    page = sign("2021-03-15")
    assert "signée le 15 mars 2021" in page and "fr-message--error" not in page


def test_the_legal_pages_are_drawn_with_the_dsfr_components(claire, conventions):
    structure = call(conventions, "POST", "/structures", DEMO_STRUCTURES[0])
    draft = call(
        conventions,
        "POST",
        "/conventions",
        {
            "structure_id": structure["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": "2021-03-01",
            "duration_months": 24,
        },
    )
    call(conventions, "POST", f"/conventions/{draft['id']}/sign", {"signed_on": "2021-03-15"})
    for path in ("/structures", f"/structures/{structure['id']}", "/conventions", "/documents/lots"):
        page = page_of(claire, path)
        assert 'class="fr-btn' in page, path
        for old in ('class="card', 'class="button', 'class="filters', 'class="muted', 'class="amount'):
            assert old not in page, (path, old)
    listed = page_of(claire, "/structures?q=flour")
    assert 'class="fr-table fr-table--bordered fr-table--multiline fr-table--no-caption"' in listed
    assert ">Commune de Saint-Flour</a>" in listed
    assert '<input class="fr-input" type="search" id="q" name="q"' in listed

    # A batch: its page follows it on the progress bar (static/progress.js).
    launched = claire.client.post(
        "/documents/lots", data={"csrf_token": claire.csrf_token("/documents/lots"), "format": "pdf"}
    )
    assert launched.status_code == 302
    batch = page_of(claire, launched.headers["Location"])
    assert "Édition lancée : 1 convention à produire." in batch
    assert 'id="batch-progress"' in batch and 'src="/static/progress.js"' in batch
