"""The closing runs' pages (issue 18 point 3, decision 0035): a finance officer launches the closing of a
year, follows it on the progress bar, and reads its counts and what failed.

The conventions service is its real app on a test database of each backend; the web front reaches it
through its own HTTP client. The scheduler's job is run as its use case."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.testing import TestDatabases, bearer, service_app
from conventions import create_app as create_conventions
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR
from conventions.service_layer.closing_runs import run_closing_runs
from conventions.service_layer.commands import RunClosingRuns
from services.web.tests.forms import alerts, message_under

CONVENTIONS_URL = "http://conventions.internal"


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path):
    database_url = test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR)
    with service_app(create_conventions, database_url, tmp_path / "conventions") as app:
        app.extensions["cnum"].clock = FixedClock(datetime(2026, 7, 1, 9, tzinfo=UTC))
        yield app


def call(app, method, path, json=None, role="legal"):
    response = app.test_client().open(f"/api/v1{path}", method=method, json=json, headers=bearer(role))
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def signed(app, structure, wave, start, months):
    created = call(
        app,
        "POST",
        "/conventions",
        {
            "structure_id": structure["id"],
            "wave": wave,
            "posts": 1,
            "start_date": start,
            "duration_months": months,
        },
    )
    return call(app, "POST", f"/conventions/{created['id']}/sign", {"signed_on": start})


def test_finance_launches_the_closing_of_a_year_and_follows_it(web_app, web_to, browser_of, conventions):
    structure = call(conventions, "POST", "/structures", DEMO_STRUCTURES[0])
    signed(conventions, structure, "initial", "2021-03-01", 24)
    ended = signed(conventions, structure, "renewal", "2023-03-01", 36)  # ends 28 February 2026
    web = web_app(conventions_url=CONVENTIONS_URL)
    web_to(web, CONVENTIONS_URL, conventions, "10.0.0.2")
    browser = browser_of(web.test_client())
    assert browser.sign_in("alice.durand").status_code == 302

    page = browser.client.get("/clotures").get_data(as_text=True)
    assert "Lancer une clôture" in page and "Aucune clôture n'a encore été lancée." in page
    year = date.today().year
    assert f'value="{year}-01-01"' in page and f'value="{year}-12-31"' in page
    launched = browser.client.post(
        "/clotures",
        data={
            "csrf_token": browser.csrf_token("/clotures"),
            "funding_ends_from": "2026-01-01",
            "funding_ends_to": "2026-12-31",
        },
    )
    assert launched.status_code == 302
    run_page = browser.client.get(launched.headers["Location"]).get_data(as_text=True)
    assert "Clôture lancée : 1 convention dont le financement finit dans la période." in run_page
    assert re.search(r'<progress id="batch-progress" max="100" value="0"[ >]', run_page)
    assert "conventions traitées : 0 sur 1" in run_page
    assert 'data-reload-signature="queued|0|false"' in run_page

    context = conventions.extensions["cnum"]
    run_closing_runs(context.unit_of_work, RunClosingRuns(today=date(2026, 7, 1)))
    run_page = browser.client.get(launched.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<progress id="batch-progress" max="100" value="100"[ >]', run_page)
    assert re.search(r'id="count-closed">1<', run_page)
    assert "Décomptes reçus du service des paiements : 0 sur 1 (1 encore attendu)" in run_page
    state = browser.client.get(launched.headers["Location"] + "/etat").get_json()
    assert (state["status"], state["counts"]["closed"], state["archive_ready"]) == ("done", 1, False)
    assert call(conventions, "GET", f"/conventions/{ended['id']}")["status"] == "closed"

    # The archive before the statements: the service's words, on the page the officer comes back to.
    archive = browser.client.get(launched.headers["Location"] + "/archive.zip")
    assert archive.status_code == 302
    run_page = browser.client.get(archive.headers["Location"]).get_data(as_text=True)
    assert "Archive indisponible : 1 décompte est encore attendu du service des paiements (sur 1)" in run_page

    listed = browser.client.get("/clotures").get_data(as_text=True)
    assert "du 1er janvier 2026 au 31 décembre 2026" in listed


def test_an_auditor_follows_the_closing_runs_but_launches_none(web_app, web_to, browser_of, conventions):
    web = web_app(conventions_url=CONVENTIONS_URL)
    web_to(web, CONVENTIONS_URL, conventions, "10.0.0.2")
    browser = browser_of(web.test_client())
    assert browser.sign_in("ines.girard").status_code == 302
    page = browser.client.get("/clotures").get_data(as_text=True)
    assert "Clôtures, de la plus récente à la plus ancienne" in page
    assert "Lancer une clôture" not in page


def test_a_closing_refused_for_its_dates_says_so_under_them(web_app, web_to, browser_of, conventions):
    web = web_app(conventions_url=CONVENTIONS_URL)
    web_to(web, CONVENTIONS_URL, conventions, "10.0.0.2")
    browser = browser_of(web.test_client())
    assert browser.sign_in("alice.durand").status_code == 302

    def launch(start: str, end: str) -> str:
        sent = browser.client.post(
            "/clotures",
            data={
                "csrf_token": browser.csrf_token("/clotures"),
                "funding_ends_from": start,
                "funding_ends_to": end,
            },
        )
        assert (sent.status_code, sent.headers["Location"]) == (302, "/clotures")
        return browser.client.get("/clotures").get_data(as_text=True)

    # One date missing: under it, and nothing under the other.
    page = launch("", "2026-12-31")
    assert message_under(page, "funding_ends_from") == "La date de début de la période est obligatoire."
    assert "Clôture refusée : la date de début de la période est obligatoire." in alerts(page)
    assert 'id="funding_ends_to-message-error"' not in page

    # Both: under each, and one alert for the form.
    page = launch("", "")
    assert message_under(page, "funding_ends_from") == "La date de début de la période est obligatoire."
    assert message_under(page, "funding_ends_to") == "La date de fin de la période est obligatoire."
    assert alerts(page) == ["Clôture refusée : les deux dates de la période sont obligatoires."]

    # The conventions service's refusal of the period: its words, under the field it names.
    page = launch("2026-12-31", "2026-01-01")
    assert message_under(page, "funding_ends_to") == (
        "La fin de la période (1er janvier 2026) précède son début (31 décembre 2026)."
    )
    assert any(alert.startswith("Clôture refusée : ") for alert in alerts(page)), alerts(page)
