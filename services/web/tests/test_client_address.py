"""What the services log of an officer's work through the web front (issue 15, points 2 and 6): the
account id as the author, and the officer's own address, never one a browser wrote in its headers.

The conventions service is its real app on a test database of each backend; the web front reaches it
through its own HTTP client, arriving from the web front's address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from cnum_shared.testing import TestDatabases, authorize_at_provider, bearer, service_app
from conventions import create_app as create_conventions
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR

CONVENTIONS_URL = "http://conventions.internal"
WEB_FRONT = "10.0.0.2"  # the web front's address, as the services see it
TLS_PROXY = "192.0.2.10"  # the reverse proxy in front of the web front
BROWSER = "203.0.113.7"  # Claire's browser
FORGED = "198.51.100.66"  # what a browser would like the logs to say
CLAIRE = "859cfd1c-ebfb-493f-a608-543eb8a8a595"  # claire.martin's account id


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path):
    database_url = test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR)
    with service_app(
        create_conventions, database_url, tmp_path / "conventions", trusted_proxies=WEB_FRONT
    ) as app:
        yield app


def call(app, method, path, role="legal", **kwargs):
    response = app.test_client().open(f"/api/v1{path}", method=method, headers=bearer(role), **kwargs)
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def work_through_the_web_front(web, conventions, environ, headers):
    """Claire, at her browser, drafts and signs a convention and downloads it through the web front."""
    structure = call(conventions, "POST", "/structures", json=DEMO_STRUCTURES[0])
    client = web.test_client()

    def request(method, path, **kwargs):
        return client.open(path, method=method, environ_base=environ, headers=headers, **kwargs)

    page = request("GET", "/connexion").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    started = request("POST", "/connexion", data={"csrf_token": csrf})
    assert started.status_code == 302
    back = urlsplit(authorize_at_provider(started.headers["Location"], "claire.martin@agence.example"))
    assert request("GET", back.path, query_string=back.query).status_code == 302
    page = request("GET", "/conventions/nouvelle").get_data(as_text=True)  # a new session: a new token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    created = request(
        "POST",
        "/conventions/nouvelle",
        data={"csrf_token": csrf, "structure_id": structure["id"], "wave": "initial", "posts": "1",
              "start_date": "2021-03-01", "duration_months": "24"},
    )  # fmt: skip
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    convention_id = created.headers["Location"].rsplit("/", 1)[1]
    signed = request(
        "POST", f"/conventions/{convention_id}/signer", data={"csrf_token": csrf, "signed_on": "2021-03-15"}
    )
    assert signed.status_code == 302
    document = request("GET", f"/conventions/{convention_id}/convention.docx")
    assert document.status_code == 200 and document.data[:2] == b"PK"
    audit = call(conventions, "GET", f"/audit?actor={CLAIRE}", role="auditor")
    downloads = call(conventions, "GET", f"/conventions/{convention_id}/downloads", role="auditor")
    return (
        [(entry["actor"], entry["method"], entry["client_address"]) for entry in audit],
        [(entry["downloaded_by"], entry["client_address"]) for entry in downloads],
    )


def test_the_services_log_the_officers_account_id_and_browser_address_not_a_forged_one(
    web_app, conventions, web_to
):
    web = web_app(conventions_url=CONVENTIONS_URL)
    web_to(web, CONVENTIONS_URL, conventions, WEB_FRONT)

    audit, downloads = work_through_the_web_front(
        web, conventions, {"REMOTE_ADDR": BROWSER}, {"X-Forwarded-For": FORGED}
    )

    assert audit == [(CLAIRE, "POST", BROWSER), (CLAIRE, "POST", BROWSER)]
    assert downloads == [(CLAIRE, BROWSER)]


def test_behind_its_tls_proxy_the_web_front_names_the_browser_the_proxy_saw(web_app, conventions, web_to):
    web = web_app(conventions_url=CONVENTIONS_URL, trusted_proxies=TLS_PROXY)
    web_to(web, CONVENTIONS_URL, conventions, WEB_FRONT)

    # The browser wrote "X-Forwarded-For: FORGED"; the proxy appended the address it saw.
    audit, downloads = work_through_the_web_front(
        web, conventions, {"REMOTE_ADDR": TLS_PROXY}, {"X-Forwarded-For": f"{FORGED}, {BROWSER}"}
    )

    assert audit == [(CLAIRE, "POST", BROWSER), (CLAIRE, "POST", BROWSER)]
    assert downloads == [(CLAIRE, BROWSER)]


def test_a_caller_other_than_the_web_front_cannot_name_an_address(conventions):
    structure = call(conventions, "POST", "/structures", json=DEMO_STRUCTURES[0])
    response = conventions.test_client().post(
        "/api/v1/conventions",
        json={"structure_id": structure["id"], "wave": "initial", "posts": 1, "start_date": "2021-03-01",
              "duration_months": 24},
        headers={**bearer("legal", sub="mallory"), "X-Forwarded-For": BROWSER},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )  # fmt: skip
    assert response.status_code == 201

    (entry,) = call(conventions, "GET", "/audit?actor=mallory", role="auditor")
    assert entry["client_address"] == "10.0.0.99"
