"""The payment runs' forms say what is wrong under the field it is about (issue 20, point 2): the execution
date of a new run, the bank's execution date of a confirmation, the lines of a bank rejection and the
reason of each. The message shows at the top of the page the officer comes back to (PRG) and under the
field, which is marked invalid and described by it (aria-invalid, aria-describedby), as the DSFR draws it.

The three services are their real apps on test databases of each backend, reached through the web front's
own HTTP client (the fixtures of test_names_and_links).
"""

from __future__ import annotations

import re
from datetime import date

from services.web.tests.forms import alerts, message_under
from services.web.tests.test_names_and_links import (  # noqa: F401 (fixtures)
    page_of,
    signed_programme,
    start_programme,
    web_of,
)


def approved_first_tranches(programme) -> list[dict]:
    """The first tranche of each signed convention, due at the signature and approved by a third officer
    (neither of the two who prepare and confirm the run)."""
    programme.job("payments", "mark_due", date(2021, 3, 15))
    due = programme.call("payments", "GET", "/tranches?status=due", 200, role="finance")
    for tranche in due:
        programme.call(
            "payments", "POST", f"/tranches/{tranche['id']}/approve", 200, {}, role="finance", sub="chloe"
        )
    return due


def post(browser, path: str, page: str, **form: str):
    """Send a form of `page` (with its CSRF token) and follow the redirect back: the page drawn then."""
    sent = browser.client.post(path, data={"csrf_token": browser.csrf_token(page), **form})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    return sent.headers["Location"], page_of(browser, sent.headers["Location"])


def test_a_payment_runs_refusals_are_said_under_their_fields(start_programme, web_of):  # noqa: F811
    programme = start_programme()
    signed_programme(programme)
    approved = approved_first_tranches(programme)
    browser = web_of(programme)
    assert browser.sign_in("alice.durand").status_code == 302

    # The list and its form in DSFR components: the runs' table, the approved tranches to tick.
    listed = page_of(browser, "/ordres-de-virement")
    assert 'class="fr-table' in listed and 'class="fr-checkbox-group fr-checkbox-group--sm"' in listed
    assert f'<input type="checkbox" id="t-{approved[0]["id"]}" name="tranche_ids"' in listed

    # No execution date: refused before any call, said under the date.
    key = re.search(r'name="idempotency_key" value="([^"]+)"', listed).group(1)
    back, page = post(
        browser, "/ordres-de-virement", "/ordres-de-virement", idempotency_key=key, execution_date=""
    )
    assert back == "/ordres-de-virement"
    assert message_under(page, "execution_date") == "La date d'exécution est obligatoire."
    assert "Ordre de virement refusé : la date d'exécution est obligatoire." in alerts(page)

    # A date the payments service refuses: its own words, under the date as well.
    back, page = post(
        browser,
        "/ordres-de-virement",
        "/ordres-de-virement",
        idempotency_key=key,
        execution_date="1899-12-31",
    )
    assert back == "/ordres-de-virement"
    assert message_under(page, "execution_date")
    assert any(alert.startswith("Ordre de virement refusé :") for alert in alerts(page)), alerts(page)

    # An identifier that is none: said under the field, which keeps what was typed.
    opened = page_of(browser, "/ordres-de-virement", ordre="pas-un-identifiant")
    assert (
        message_under(opened, "ordre")
        == "Ce numéro d'ordre de virement n'est pas valide (identifiant attendu)."
    )
    assert 'value="pas-un-identifiant"' in opened

    # The run, prepared by Alice and exported; Bruno confirms it.
    run_path, run_page = post(
        browser,
        "/ordres-de-virement",
        "/ordres-de-virement",
        idempotency_key=key,
        execution_date="2021-03-16",
    )
    assert "Ordre de virement préparé : 2 virements" in run_page
    assert browser.client.get(f"{run_path}/sepa").status_code == 200
    assert browser.sign_in("bruno.petit").status_code == 302

    back, page = post(browser, f"{run_path}/confirmer", run_path, paid_on="")
    assert back == run_path
    assert message_under(page, "paid_on") == "La date d'exécution par la banque est obligatoire."
    assert "Confirmation refusée : la date d'exécution par la banque est obligatoire." in alerts(page)

    _, page = post(browser, f"{run_path}/confirmer", run_path, paid_on="2021-03-16")
    assert "Exécution confirmée" in page

    # A rejection without a line ticked: said under the group of checkboxes (a DSFR fieldset), each
    # checkbox described by it.
    back, page = post(browser, f"{run_path}/rejets", run_path)
    assert back == run_path
    assert "Rejets refusés : cochez au moins un virement rejeté par la banque." in alerts(page)
    assert 'class="fr-fieldset fr-fieldset--error" id="rejected"' in page
    assert (
        '<p class="fr-message fr-message--error" id="rejected-message-error">'
        "Cochez au moins un virement rejeté par la banque.</p>"
    ) in page
    for tranche in approved:
        checkbox = re.search(rf'<input type="checkbox" id="rejected-{tranche["id"]}"[^>]*>', page).group(0)
        assert 'aria-describedby="rejected-messages" aria-invalid="true"' in checkbox

    # A line ticked without the bank's reason: said under that line's reason, and only there.
    first, second = (tranche["id"] for tranche in approved)
    back, page = post(browser, f"{run_path}/rejets", run_path, rejected=first, **{f"reason-{second}": "AC04"})
    assert message_under(page, f"reason-{first}") == "Recopiez le motif donné par la banque pour ce virement."
    assert f'id="reason-{second}-message-error"' not in page
    assert 'class="fr-fieldset fr-fieldset--error"' not in page
    lines = programme.call(
        "payments", "GET", f"/payment-runs/{run_path.rsplit('/', 1)[1]}", 200, role="finance"
    )
    assert {line["status"] for line in lines["lines"]} == {"paid"}
