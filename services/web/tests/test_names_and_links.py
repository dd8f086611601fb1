"""Names, not ids; e-mails that lead somewhere (issue 20, points 5 and 6; decision 0044).

- Officers find a structure by its name, its SIRET or the start of it, and a convention by its reference:
  one match filters by it, several are offered as links, none is said next to the field. The pages show
  names, and no UUID in their visible text.
- The e-mails the structures receive (read from the real SMTP server on 127.0.0.1) link every obligation
  of a digest to the structure's page for it, and an order to repay to its PDF and to the final statement
  it comes from, on the web front: with the structure's session a link lands there (200), without one on
  the sign-in, which brings the structure back.

The three services are their real apps on test databases of each backend, reached through the web front's
own HTTP client; their outboxes are delivered to their consumers as the relays post them.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.framework.mailsink import MailSink
from cnum_shared.testing import TestDatabases, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from services.compliance.tests.api.programme import AGENCY, Programme, overpaid_convention_closed

#: Where the web front reaches each service (its HTTP client is routed into their apps).
URLS = {
    "conventions": "http://conventions.internal",
    "payments": "http://payments.internal",
    "compliance": "http://compliance.internal",
}
#: The web front's public address, as the e-mails name it (CNUM_WEB_BASE_URL).
WEB_BASE_URL = "https://cnum.example.gouv.fr"
NNBSP, NBSP = "\u202f", "\xa0"  # French thousands separator, and the space before « € »
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class _VisibleText(HTMLParser):
    """The text a reader sees: the page's text nodes, not its attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def assert_no_uuid(page: str) -> None:
    text = visible_text(page)
    assert not UUID.search(text), UUID.search(text).group(0) + " in: " + text[:2000]


@pytest.fixture
def start_programme(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    """`start_programme(smtp_port=…, converter_url=…)`: the three services on one backend."""
    with ExitStack() as stack:

        def start(*, smtp_port: int = 9, converter_url: str | None = None) -> Programme:
            def app(create, service, migrations, **settings):
                url = test_databases.fresh(service, db_backend, migrations)
                return stack.enter_context(service_app(create, url, tmp_path / service, **settings))

            documents = {"converter_url": converter_url} if converter_url else {}
            conventions = app(create_conventions, "conventions", CONVENTIONS_MIGRATIONS, **documents)
            payments = app(create_payments, "payments", PAYMENTS_MIGRATIONS, **AGENCY)
            compliance = app(
                create_compliance,
                "compliance",
                COMPLIANCE_MIGRATIONS,
                smtp_port=smtp_port,
                web_base_url=WEB_BASE_URL,
            )
            payments.extensions["cnum"].clock = FixedClock(datetime(2021, 3, 15, 9, tzinfo=UTC))
            return Programme(conventions, payments, compliance)

        yield start


@pytest.fixture
def web_of(web_app, web_to, browser_of):
    """`web_of(programme)`: a browser on a web front whose calls reach the programme's services."""

    def build(programme: Programme):
        web = web_app(
            conventions_url=URLS["conventions"],
            payments_url=URLS["payments"],
            compliance_url=URLS["compliance"],
        )
        for service, url in URLS.items():
            web_to(web, url, programme.apps[service], "10.0.0.2")
        return browser_of(web.test_client())

    return build


def signed_programme(programme: Programme) -> dict[str, dict]:
    """The five demo structures; Saint-Flour (Cantal) and Sainte-Anne (Guadeloupe) each with a signed
    initial convention, told to payments and compliance. Returns the conventions by structure name."""
    structures = {
        fields["name"]: programme.call("conventions", "POST", "/structures", 201, fields)
        for fields in DEMO_STRUCTURES
    }
    conventions = {}
    for name in ("Commune de Saint-Flour", "Commune de Sainte-Anne"):
        created = programme.call(
            "conventions",
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structures[name]["id"],
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
        )
        conventions[name] = programme.call(
            "conventions", "POST", f"/conventions/{created['id']}/sign", 200, {"signed_on": "2021-03-15"}
        )
    programme.relay()
    return conventions


def page_of(browser, path, **query) -> str:
    response = browser.client.get(path, query_string=query or None)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_finance_finds_tranches_by_name_siret_or_reference_and_reads_names(start_programme, web_of):
    programme = start_programme()
    conventions = signed_programme(programme)
    cantal, guadeloupe = conventions["Commune de Saint-Flour"], conventions["Commune de Sainte-Anne"]
    browser = web_of(programme)
    assert browser.sign_in("alice.durand").status_code == 302

    # A part of the name, whatever the case: one structure, its three tranches (initial wave: 40/40/20 %).
    by_name = page_of(browser, "/tranches", status="", structure="saint-flour")
    assert "Tranches de <strong>Commune de Saint-Flour</strong>" in by_name
    assert by_name.count(f"<td>{cantal['reference']}</td>") == 3
    assert guadeloupe["reference"] not in by_name
    assert 'value="Commune de Saint-Flour"' in by_name  # the field names what it filters by
    assert_no_uuid(by_name)

    # The SIRET's start, as printed on a letter (the SIREN in groups of three).
    siret = DEMO_STRUCTURES[0]["siret"]
    by_siret = page_of(browser, "/tranches", status="", structure=f"{siret[:3]} {siret[3:6]} {siret[6:9]}")
    assert "Tranches de <strong>Commune de Saint-Flour</strong>" in by_siret
    assert by_siret.count(f"<td>{cantal['reference']}</td>") == 3

    # A convention's reference, whatever the case.
    by_reference = page_of(browser, "/tranches", status="", structure=guadeloupe["reference"].lower())
    assert f"Tranches de la convention <strong>{guadeloupe['reference']}</strong>" in by_reference
    assert by_reference.count(f"<td>{guadeloupe['reference']}</td>") == 3
    assert cantal["reference"] not in by_reference
    assert_no_uuid(by_reference)

    # "Saint" is in two names: both offered, as links, and no list until one is chosen.
    several = page_of(browser, "/tranches", status="", structure="Saint")
    assert "Plusieurs résultats pour « Saint » : choisissez" in several
    assert ">Commune de Saint-Flour</a>" in several and ">Commune de Sainte-Anne</a>" in several
    assert "<table>" not in several
    assert_no_uuid(several)
    choice = next(
        href.replace("&amp;", "&")
        for href, label in re.findall(r'<a href="(/tranches\?[^"]+)">([^<]+)</a>', several)
        if label == "Commune de Sainte-Anne"
    )
    chosen = page_of(browser, choice)
    assert "Tranches de <strong>Commune de Sainte-Anne</strong>" in chosen
    assert chosen.count(f"<td>{guadeloupe['reference']}</td>") == 3

    # Nothing: said next to the field, which the message describes.
    nothing = page_of(browser, "/tranches", status="", structure="Quimper")
    assert (
        '<p class="fr-message fr-message--error" id="structure-message-error">Aucune structure ni convention '
        "ne correspond à « Quimper » : vérifiez le nom, le SIRET ou la référence.</p>"
    ) in nothing
    assert 'aria-describedby="structure-messages" aria-invalid="true"' in nothing
    assert "<table>" not in nothing

    # The tranche's page names its structure and convention; no id shows.
    tranche_link = re.search(r'href="(/tranches/[0-9a-f-]{36})"', by_name).group(1)
    tranche = page_of(browser, tranche_link)
    assert ">Commune de Saint-Flour</a>" in tranche and f"SIRET {siret}" in tranche
    assert f"de la convention {cantal['reference']}" in tranche
    assert_no_uuid(tranche)


def test_compliance_finds_a_structures_obligations_by_its_name_and_reads_names(start_programme, web_of):
    programme = start_programme()
    conventions = signed_programme(programme)
    browser = web_of(programme)
    assert browser.sign_in("helene.robert").status_code == 302

    listed = page_of(browser, "/obligations", structure="Commune de Saint-Flour")
    assert "Obligations de <strong>Commune de Saint-Flour</strong>" in listed
    rows = re.findall(r'href="(/obligations/[0-9a-f-]{36})"', listed)
    assert rows, listed
    assert "Commune de Sainte-Anne" not in listed
    assert_no_uuid(listed)

    several = page_of(browser, "/obligations", structure="SAINT", status="")
    assert "Plusieurs résultats pour « SAINT » : choisissez" in several
    assert "<table>" not in several
    assert_no_uuid(several)

    nothing = page_of(browser, "/obligations", structure="000")
    assert "Aucune structure ne correspond à « 000 » : vérifiez le nom ou le SIRET." in nothing
    assert 'aria-invalid="true"' in nothing

    obligation = page_of(browser, rows[0])
    assert "Commune de Saint-Flour" in obligation
    assert f"<dd>{conventions['Commune de Saint-Flour']['reference']}</dd>" in obligation
    assert_no_uuid(obligation)


def test_the_e_mails_lead_to_the_structures_pages_through_the_sign_in(
    start_programme, web_of, converter_url, tmp_path
):
    with MailSink(tmp_path / "mail") as smtp:
        programme = start_programme(smtp_port=smtp.port, converter_url=converter_url)
        # Saint-Flour's convention closed with 6 666,67 € to repay (worked out in the compliance tests),
        # its advisor never sent to training: its obligations are late when the order is issued.
        structure, convention = overpaid_convention_closed(programme)
        programme.call("conventions", "POST", "/structures", 201, DEMO_STRUCTURES[3])  # Le Tampon
        programme.job("compliance", "scan", date(2023, 3, 1))
        assert programme.send_alerts(date(2023, 3, 1)).endswith(", 0 en attente de SMTP")
        messages = {message["Subject"].split(" ")[0]: message for message in smtp.messages()}
    digest, order = messages["Conseiller"], messages["Ordre"]
    assert digest["To"] == order["To"] == structure["email"]

    # Every obligation the digest tells links to the structure's page for it, in both versions.
    [told] = [alert for alert in programme.alerts() if alert["kind"] == "digest"]
    obligation_ids = {item["obligation_id"] for item in told["items"]}
    text, html = (digest.get_body((kind,)).get_content() for kind in ("plain", "html"))
    pattern = re.escape(WEB_BASE_URL) + r"/ma-structure/obligations/([0-9a-f-]{36})"
    assert set(re.findall(pattern, text)) == set(re.findall(pattern, html)) == obligation_ids
    # The order links to its PDF and to the final statement it comes from.
    [recovery] = [alert for alert in programme.alerts() if alert["kind"] == "recovery_order"]
    order_text, order_html = (order.get_body((kind,)).get_content() for kind in ("plain", "html"))
    order_pdf = f"{WEB_BASE_URL}/ma-structure/ordres-de-reversement/{recovery['recovery']['recovery_id']}.pdf"
    statement_pdf = f"{WEB_BASE_URL}/ma-structure/conventions/{convention['id']}/decompte-final.pdf"
    for link in (order_pdf, statement_pdf):
        assert link in order_text and f'href="{link}"' in order_html

    browser = web_of(programme)
    obligation_path = urlsplit(re.search(pattern, text).group(0)).path
    # Without a session: the sign-in, which keeps where the link led.
    for path in (obligation_path, urlsplit(order_pdf).path, urlsplit(statement_pdf).path):
        anonymous = browser.client.get(path)
        assert anonymous.status_code == 302
        target = urlsplit(anonymous.headers["Location"])
        assert target.path == "/connexion"
        assert parse_qs(target.query)["next"][0].rstrip("?") == path
    # Another structure's session: its pages only (the obligation answers as an unknown one).
    assert browser.sign_in("le-tampon").status_code == 302
    assert browser.client.get(obligation_path).status_code == 404
    browser.sign_out()
    # Saint-Flour signs in from the link and lands on the page it led to.
    signed_in = browser.sign_in("saint-flour", next=obligation_path)
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, obligation_path)
    landed = page_of(browser, obligation_path)
    assert "Déposer un justificatif" in landed and convention["reference"] in landed
    assert_no_uuid(landed)
    for path in (urlsplit(order_pdf).path, urlsplit(statement_pdf).path):
        document = browser.client.get(path)
        assert document.status_code == 200, document.get_data(as_text=True)[:500]
        assert document.headers["Content-Type"].startswith("application/pdf")
        assert document.get_data().startswith(b"%PDF-")


def test_the_dashboards_amount_to_pay_back_leads_to_the_recoveries_of_its_region(start_programme, web_of):
    programme = start_programme()
    # Saint-Flour (Cantal, region 84 Auvergne-Rhône-Alpes), one post at 50 000 € for 24 months: tranches 1
    # and 2 paid, 40 % each = 40 000; its advisor's CDD held the post from 15 March 2021 to 30 June 2022,
    # months 1 to 16: earned 50 000 × 16 ÷ 24; the convention closed at its end, its final statement
    # issues the difference to pay back.
    structure, convention = overpaid_convention_closed(programme)
    earned = (Decimal(50_000) * 16 / 24).quantize(Decimal("0.01"))
    to_pay_back = Decimal(40_000) - earned
    assert to_pay_back == Decimal("6666.67")
    written = f"6{NNBSP}666,67{NBSP}€"
    browser = web_of(programme)
    assert browser.sign_in("alice.durand").status_code == 302

    dashboard = page_of(browser, "/tableau-de-bord")

    # The region's « À reverser »: the recoveries provisional or issued of the region, on /reversements.
    [(href, text)] = [
        (href.replace("&amp;", "&"), text)
        for href, text in re.findall(r'<a href="(/reversements\?[^"]+)">([^<]+)</a>', dashboard)
        if "region=84" in href
    ]
    query = parse_qs(urlsplit(href).query)
    assert query == {"status": ["provisional", "issued"], "region": ["84"]}
    assert text.strip() == written
    listed = page_of(browser, href)
    assert "Territoire : région Auvergne-Rhône-Alpes" in listed
    assert "Statut : provisoire" in listed and "Statut : émis" in listed
    body = re.search(r"<tbody>(.*?)</tbody>", listed, re.DOTALL).group(1)
    [row] = re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    assert f"<td>{convention['reference']}</td>" in row
    assert structure["name"] == "Commune de Saint-Flour" and f">{structure['name']}</a>" in row
    assert f'<td class="fr-cell--right">{written}</td>' in row
    assert "décompte final" in row and ">émis</span>" in row
    assert f'href="/tranches?convention_id={convention["id"]}&amp;status="' in row
    assert_no_uuid(listed)
    # The convention's tranches, from the row's link: its three, named by its reference.
    tranches = page_of(browser, "/tranches", convention_id=convention["id"], status="")
    assert tranches.count(f"<td>{convention['reference']}</td>") == 3
    # Another region: nothing to pay back there.
    elsewhere = page_of(browser, "/reversements", status=["provisional", "issued"], region="01")
    assert "Aucun reversement ne correspond à ces critères." in elsewhere
    # The received ones are not among them; the nav leads to the list.
    assert page_of(browser, "/reversements", status="received").count("<tbody>") == 0
    assert '<a class="fr-nav__link" href="/reversements"' in dashboard
