"""The compliance officers' decisions and the structures' files: a form refused because of one field says
so under that field (issue 20, point 2; RGAA 11.10), after the POST's redirect: the DSFR's error message
with its id, the field marked invalid and described by it; the alert at the top says it too.

The three services are their real apps on test databases of each backend (as in test_names_and_links),
reached through the web front's own HTTP client."""

from __future__ import annotations

import html
import io
import re

from services.web.tests import test_names_and_links as programme_pages
from services.web.tests.test_names_and_links import page_of, signed_programme

# The fixtures of the names' tests: the three services, and a browser on a web front that reaches them.
start_programme = programme_pages.start_programme
web_of = programme_pages.web_of


def field_tag(page: str, field_id: str) -> str:
    """The opening tag of the input, textarea or select whose id is `field_id`."""
    found = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert found is not None, f"no field {field_id} in: {page[:3000]}"
    return found.group(0)


def assert_said_under(page: str, field_id: str, message: str) -> None:
    """The DSFR's error message is under the field, which is marked invalid and described by it."""
    text = html.unescape(page)
    assert f'<p class="fr-message fr-message--error" id="{field_id}-message-error">{message}</p>' in text
    tag = field_tag(page, field_id)
    assert 'aria-invalid="true"' in tag and f'aria-describedby="{field_id}-messages"' in tag, tag


def assert_valid(page: str, field_id: str) -> None:
    assert 'aria-invalid="true"' not in field_tag(page, field_id)
    assert f'id="{field_id}-message-error"' not in page


def _redirected(response, path: str) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].split("#")[0] == path


def test_a_refused_decision_on_an_obligation_is_said_under_its_field(start_programme, web_of):
    programme = start_programme()
    conventions = signed_programme(programme)
    [obligation, *_] = programme.call(
        "compliance",
        "GET",
        f"/obligations?structure_id={conventions['Commune de Saint-Flour']['structure_id']}&status=open",
        200,
        role="compliance",
    )
    browser = web_of(programme)
    assert browser.sign_in("helene.robert").status_code == 302
    path = f"/obligations/{obligation['id']}"
    token = browser.csrf_token(path)

    # No new due date: said under the date, the reasons of the other decisions untouched.
    refused = browser.client.post(f"{path}/prolonger", data={"csrf_token": token, "reason": "Arrêt maladie"})
    _redirected(refused, path)
    page = page_of(browser, path)
    assert_said_under(page, "extend-date", "Indiquez la nouvelle date d'échéance (jour, mois, année).")
    assert "Action refusée : indiquez la nouvelle date d'échéance (jour, mois, année)." in html.unescape(page)
    for other in ("extend-reason", "fulfil-reason", "waive-reason"):
        assert_valid(page, other)

    # A waiver without its reason: said under the waiver's reason only.
    refused = browser.client.post(f"{path}/lever", data={"csrf_token": token, "reason": "  "})
    _redirected(refused, path)
    page = page_of(browser, path)
    assert_said_under(page, "waive-reason", "Le motif est obligatoire, il est conservé dans l'historique.")
    for other in ("extend-date", "extend-reason", "fulfil-reason"):
        assert_valid(page, other)

    # A date the service refuses (not after the current one): its words, under the date.
    refused = browser.client.post(
        f"{path}/prolonger",
        data={"csrf_token": token, "due_on": "2021-01-01", "reason": "Arrêt maladie"},
    )
    _redirected(refused, path)
    page = page_of(browser, path)
    assert_said_under(page, "extend-date", "La nouvelle échéance doit être postérieure à l'actuelle.")
    assert "Action refusée : La nouvelle échéance doit être postérieure à l'actuelle." in html.unescape(page)

    # The page read again: the messages were said once.
    assert 'aria-invalid="true"' not in page_of(browser, path)


def test_a_structures_refused_file_is_said_under_its_field(start_programme, web_of):
    programme = start_programme()
    conventions = signed_programme(programme)
    convention = conventions["Commune de Saint-Flour"]
    [obligation, *_] = programme.call(
        "compliance",
        "GET",
        f"/obligations?structure_id={convention['structure_id']}&status=open",
        200,
        role="compliance",
    )
    browser = web_of(programme)
    assert browser.sign_in("saint-flour").status_code == 302
    token = browser.csrf_token("/ma-structure")
    evidence = f"/ma-structure/obligations/{obligation['id']}/justificatif"
    field = f"file-{obligation['id']}"

    # From the home page, no file chosen: said under that obligation's field, not under the others'.
    _redirected(browser.client.post(evidence, data={"csrf_token": token}), "/ma-structure")
    home = page_of(browser, "/ma-structure")
    assert_said_under(home, field, "Choisissez un fichier à envoyer.")
    assert "Justificatif refusé : choisissez un fichier à envoyer." in html.unescape(home)
    assert home.count('aria-invalid="true"') == 1
    assert_valid(home, f"signed-{convention['id']}")

    # A file that is not a PDF, PNG or JPEG: the service's words, once, under the field.
    sent = {"csrf_token": token, "file": (io.BytesIO(b"ceci n'est pas un PDF"), "notes.pdf")}
    _redirected(browser.client.post(evidence, data=sent, content_type="multipart/form-data"), "/ma-structure")
    home = page_of(browser, "/ma-structure")
    assert_said_under(home, field, "Seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu vérifié).")

    # From the obligation's own page: under its one file field.
    own = f"/ma-structure/obligations/{obligation['id']}"
    _redirected(browser.client.post(evidence, data={"csrf_token": token, "back": "obligation"}), own)
    assert_said_under(page_of(browser, own), "file", "Choisissez un fichier à envoyer.")

    # The countersigned convention without its file: under the convention's field.
    signed_copy = f"/ma-structure/conventions/{convention['id']}/exemplaire-signe"
    _redirected(browser.client.post(signed_copy, data={"csrf_token": token}), "/ma-structure")
    home = page_of(browser, "/ma-structure")
    assert_said_under(home, f"signed-{convention['id']}", "Choisissez un fichier à envoyer.")
    assert "Convention signée refusée : choisissez un fichier à envoyer." in html.unescape(home)
    assert_valid(home, field)
