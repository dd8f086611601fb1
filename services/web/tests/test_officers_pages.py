"""The officers' directory in the web front (decision 0042): an administrator lists, adds, changes and
deactivates officers; an officer added signs in at the provider under their new account id, and one
deactivated can no longer sign in and loses the sessions they had.

The conventions service is its real app on a test database of each backend; the web front reaches it
through its own HTTP client, for the directory too."""

from __future__ import annotations

import html
import re

import pytest

from cnum_shared.framework.auth import decode_token
from cnum_shared.testing import TEST_SIGNING_KEY, TestDatabases, service_app
from conventions import create_app as create_conventions
from conventions.demo import DEMO_OFFICERS
from conventions.manage import MIGRATIONS_DIR
from conventions.service_layer.commands import CreateOfficer
from conventions.service_layer.officers import create_officer

CONVENTIONS_URL = "http://conventions.internal"


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path):
    database_url = test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR)
    # The web front's var/: the same revocation list.
    with service_app(create_conventions, database_url, tmp_path) as app:
        for fields in DEMO_OFFICERS:
            with app.extensions["cnum"].database.unit_of_work() as uow:
                create_officer(uow, CreateOfficer(**fields))
        yield app


@pytest.fixture
def web(web_app, web_to, conventions):
    app = web_app(conventions_url=CONVENTIONS_URL)
    web_to(app, CONVENTIONS_URL, conventions, "10.0.0.2")
    # This test's directory, not the session's: it changes it.
    web_to(app, f"{CONVENTIONS_URL}/api/v1/officers", conventions, "10.0.0.2")
    return app


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _token(browser):
    with browser.client.session_transaction() as session:
        return session.get("token")


def _csrf(browser, path):
    return re.search(
        r'name="csrf_token" value="([^"]+)"', browser.client.get(path).get_data(as_text=True)
    ).group(1)


def test_an_administrator_adds_an_officer_who_then_signs_in_and_is_deactivated(web, browser_of, conventions):
    admin = browser_of(web.test_client())
    assert admin.sign_in("nadia.lefevre").status_code == 302
    listed = _text(admin.client.get("/agents"))
    assert (
        "Claire Martin" in listed
        and "claire.martin@agence.example" in listed
        and "Service juridique" in listed
    )

    added = admin.client.post(
        "/agents/nouveau",
        data={"csrf_token": _csrf(admin, "/agents/nouveau"), "email": "Zoe.Leroy@Agence.example",
              "name": "Zoé Leroy", "role": "finance"},
    )  # fmt: skip
    assert added.status_code == 302 and added.headers["Location"] == "/agents"
    assert "zoe.leroy@agence.example" in _text(admin.client.get("/agents?q=zo"))

    # Zoé signs in at the provider with her address: her account id is the directory's, new.
    zoe = browser_of(web.test_client())
    assert zoe.sign_in("zoe.leroy@agence.example").status_code == 302
    token = _token(zoe)
    principal = decode_token(token, TEST_SIGNING_KEY.verification_keys())
    officers = conventions.test_client().get(
        "/api/v1/officers", query_string={"email": "zoe.leroy@agence.example"},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert officers.status_code == 403  # a finance officer does not read the directory
    assert principal.role.value == "finance" and principal.name == "Zoé Leroy"
    officer_page = admin.client.get(f"/agents/{principal.sub}")
    assert officer_page.status_code == 200 and "Compte actif" in _text(officer_page)

    deactivated = admin.client.post(
        f"/agents/{principal.sub}/activation",
        data={"csrf_token": _csrf(admin, f"/agents/{principal.sub}"), "active": "false"},
    )
    assert deactivated.status_code == 302
    assert "Compte désactivé" in _text(admin.client.get(f"/agents/{principal.sub}"))
    # Her session has ended at every service, and she can no longer sign in.
    refused = conventions.test_client().get(
        "/api/v1/conventions", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    again = browser_of(web.test_client()).sign_in("zoe.leroy@agence.example")
    assert again.status_code == 403 and "désactivé" in _text(again)


def test_an_address_already_in_the_directory_is_refused_on_the_form(web, browser_of):
    admin = browser_of(web.test_client())
    admin.sign_in("nadia.lefevre")

    response = admin.client.post(
        "/agents/nouveau",
        data={"csrf_token": _csrf(admin, "/agents/nouveau"), "email": "CLAIRE.MARTIN@agence.example",
              "name": "Claire Martin", "role": "legal"},
    )  # fmt: skip

    assert response.status_code == 409
    assert "Un agent de l'annuaire a déjà l'adresse claire.martin@agence.example." in _text(response)


def test_an_administrator_changes_an_officers_role(web, browser_of):
    admin = browser_of(web.test_client())
    admin.sign_in("nadia.lefevre")
    claire = "859cfd1c-ebfb-493f-a608-543eb8a8a595"

    changed = admin.client.post(
        f"/agents/{claire}",
        data={"csrf_token": _csrf(admin, f"/agents/{claire}"), "email": "claire.martin@agence.example",
              "name": "Claire Martin", "role": "compliance"},
    )  # fmt: skip

    assert changed.status_code == 302
    officer = browser_of(web.test_client())
    officer.sign_in("claire.martin")
    assert decode_token(_token(officer), TEST_SIGNING_KEY.verification_keys()).role.value == "compliance"


def test_only_administrators_open_the_directory(web, browser_of):
    legal = browser_of(web.test_client())
    legal.sign_in("claire.martin")

    assert legal.client.get("/agents").status_code == 403
    assert legal.client.get("/agents/nouveau").status_code == 403


def _said_under(page: str, field: str, message: str) -> bool:
    """The DSFR's error message is under the field, which is marked invalid and described by it."""
    tag = re.search(rf'<(?:input|select)\b[^>]*\bid="{field}"[^>]*>', page)
    return (
        f'<p class="fr-message fr-message--error" id="{field}-message-error">{message}</p>' in page
        and tag is not None
        and 'aria-invalid="true"' in tag.group(0)
        and f'aria-describedby="{field}-messages"' in tag.group(0)
    )


def test_a_refused_officer_form_says_why_under_each_field(web, browser_of):
    admin = browser_of(web.test_client())
    admin.sign_in("nadia.lefevre")
    token = _csrf(admin, "/agents/nouveau")

    # An address already in the directory (whatever its case): under the address, the form kept.
    taken = admin.client.post(
        "/agents/nouveau",
        data={"csrf_token": token, "email": "CLAIRE.MARTIN@agence.example", "name": "Claire Bis",
              "role": "legal"},
    )  # fmt: skip
    page = _text(taken)
    assert taken.status_code == 409
    assert _said_under(page, "email", "Un agent de l'annuaire a déjà l'adresse claire.martin@agence.example.")
    assert "Agent non ajouté : un agent de l'annuaire a déjà l'adresse" in page
    assert 'value="Claire Bis"' in page and 'id="name-message-error"' not in page

    # What the directory's rules refuse (an address it does not read as one, a role it does not know):
    # each said under its own field, the name, which it accepts, left alone.
    refused = admin.client.post(
        "/agents/nouveau",
        data={"csrf_token": token, "email": "zoe.leroy@", "name": "Zoé Leroy", "role": "chef"},
    )
    page = _text(refused)
    assert refused.status_code == 422
    # In French, as the rest of the page.
    assert _said_under(page, "email", "Ce n'est pas une adresse électronique valide.")
    assert _said_under(page, "role", "Le rôle est l'un de : admin, legal, finance, compliance, auditor.")
    assert 'id="name-message-error"' not in page

    # Changing an officer: the same, under the address.
    claire, alice = "859cfd1c-ebfb-493f-a608-543eb8a8a595", "alice.durand@agence.example"
    changed = admin.client.post(
        f"/agents/{claire}",
        data={"csrf_token": token, "email": alice, "name": "Claire Martin", "role": "legal"},
    )
    assert changed.status_code == 409
    assert _said_under(_text(changed), "email", f"Un agent de l'annuaire a déjà l'adresse {alice}.")
