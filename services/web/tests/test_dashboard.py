"""The programme dashboard (issue 20 point 4, decision 0043): each service's figures, one call per service,
drawn as SVG charts with their text alternative, the tables beside them, and each figure a link to the
list behind it when the officer's role may open that list.

The three services are their real apps on test databases of each backend; the web front reaches them
through its own HTTP client. Conventions are made through the conventions API and its events delivered
to payments and compliance as the relay does; compliance's daily scan is run as its job."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
from compliance import create_app as create_compliance
from compliance.jobs import JOBS as COMPLIANCE_JOBS
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

URLS = {
    "conventions": "http://conventions.internal",
    "payments": "http://payments.internal",
    "compliance": "http://compliance.internal",
}
SVG = "{http://www.w3.org/2000/svg}"
NNBSP, NBSP = "\u202f", "\xa0"
COMMITTED = ["scheduled", "due", "blocked", "approved", "paid"]


@pytest.fixture
def services(db_backend: str, test_databases: TestDatabases, tmp_path):
    """Saint-Flour (15, 2 posts) and Le Tampon (974, 1 post): initial-wave conventions from 1 March 2021,
    signed on the 15th, known to payments and compliance; compliance scanned on 1 July 2021, when no
    post has its candidate (due 3 months after the signature, 15 June 2021). The conventions service's
    day is 10 June 2022."""
    apps = {}
    with (
        service_app(
            create_conventions,
            test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS),
            tmp_path / "conventions",
        ) as apps["conventions"],
        service_app(
            create_payments,
            test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS),
            tmp_path / "payments",
        ) as apps["payments"],
        service_app(
            create_compliance,
            test_databases.fresh("compliance", db_backend, COMPLIANCE_MIGRATIONS),
            tmp_path / "compliance",
        ) as apps["compliance"],
    ):
        apps["conventions"].extensions["cnum"].clock = FixedClock(datetime(2022, 6, 10, 9, tzinfo=UTC))
        legal = apps["conventions"].test_client()

        def call(method, path, json=None):
            response = legal.open(f"/api/v1{path}", method=method, json=json, headers=bearer("legal"))
            assert response.status_code < 300, response.get_json()
            return response.get_json()

        for fields, posts in ((DEMO_STRUCTURES[0], 2), (DEMO_STRUCTURES[3], 1)):
            assert fields["department"] in ("15", "974")
            structure = call("POST", "/structures", fields)
            created = call(
                "POST",
                "/conventions",
                {
                    "structure_id": structure["id"],
                    "wave": "initial",
                    "posts": posts,
                    "start_date": "2021-03-01",
                    "duration_months": 24,
                },
            )
            call("POST", f"/conventions/{created['id']}/sign", {"signed_on": "2021-03-15"})
        for envelope in outbox_envelopes(apps["conventions"], conventions_events):
            for consumer in ("payments", "compliance"):
                if consumer in consumers_of(envelope["type"]):
                    delivered = post_event(apps[consumer].test_client(), envelope)
                    assert delivered.status_code == 200, delivered.get_json()
        scan = next(job for job in COMPLIANCE_JOBS if job.name == "scan")
        scan.function(apps["compliance"].extensions["cnum"], date(2021, 7, 1))
        yield apps


@pytest.fixture
def dashboard_web(web_app, web_to, services):
    """The web front, its calls to each service routed into that service's app and counted."""
    web = web_app(
        conventions_url=URLS["conventions"], payments_url=URLS["payments"], compliance_url=URLS["compliance"]
    )
    calls: list[str] = []
    for name, url in URLS.items():
        web_to(web, url, services[name], "10.0.0.2")
        adapter = web.extensions["cnum_web_http"].get_adapter(url)
        send = adapter.send

        def counted(request, *args, _send=send, **kwargs):
            calls.append(request.url)
            return _send(request, *args, **kwargs)

        adapter.send = counted
    web.dashboard_calls = calls
    return web


class Links(HTMLParser):
    """The links of a page: (href, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def links_of(page: str) -> list[tuple[str, dict[str, list[str]], str]]:
    parser = Links()
    parser.feed(page)
    return [(urlsplit(href).path, parse_qs(urlsplit(href).query), text) for href, text in parser.links]


def charts_of(page: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)]


def euros(text: str) -> str:
    """An amount as the page writes it (Babel's French: narrow no-break spaces, a no-break space)."""
    return text.replace(" ", NNBSP) + NBSP + "€"


def test_a_finance_officer_reads_the_programme_in_charts_and_tables_and_follows_each_figure(
    dashboard_web, browser_of
):
    browser = browser_of(dashboard_web.test_client())
    assert browser.sign_in("alice.durand").status_code == 302
    home = browser.client.get("/tranches").get_data(as_text=True)
    assert 'href="/tableau-de-bord"' in home and "Tableau de bord" in home
    dashboard_web.dashboard_calls.clear()

    response = browser.client.get("/tableau-de-bord")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    # One call per service, whatever the number of regions, departments, months or kinds.
    assert sorted(urlsplit(url).netloc for url in dashboard_web.dashboard_calls) == [
        "compliance.internal",
        "conventions.internal",
        "payments.internal",
    ]
    # Four charts, each valid XML with its text alternative, and no inline style (the page's CSP).
    charts = charts_of(page)
    assert [chart.get("aria-labelledby") for chart in charts] == [
        "chart-amounts-title chart-amounts-desc",
        "chart-posts-title chart-posts-desc",
        "chart-obligations-title chart-obligations-desc",
        "chart-endings-title chart-endings-desc",
    ]
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.find(f"{SVG}title").text and chart.find(f"{SVG}desc").text
        assert chart.find(f".//{SVG}style") is None
        assert all("style" not in element.attrib for element in chart.iter())
        assert chart.findall(f".//{SVG}path")  # bars and letters drawn
    ids = [element.get("id") for chart in charts for element in chart.iter() if element.get("id")]
    assert len(ids) == len(set(ids))  # the charts share the page without sharing an id
    amounts = charts[0].find(f"{SVG}desc").text
    # Committed: 2 posts × 50 000 € in the Cantal, 1 × 67 500 € in La Réunion.
    assert f"engagé {euros('167 500,00')}" in amounts and "2 régions" in amounts

    # The tables beside the charts, with their figures.
    assert '<table id="table-amounts">' in page and '<table id="table-posts">' in page
    assert '<table id="table-obligations">' in page and '<table id="table-endings">' in page
    for amount in ("100 000,00", "67 500,00", "167 500,00"):
        assert euros(amount) in page
    assert "Auvergne-Rhône-Alpes" in page and "La Réunion" in page and "Cantal (15)" in page

    links = links_of(page)
    tranche_links = [(query, text) for path, query, text in links if path == "/tranches"]
    # Each amount leads to the tranches it adds up: committed in the region 84, 100 000 €.
    assert ({"status": COMMITTED, "region": ["84"]}, euros("100 000,00")) in tranche_links
    assert ({"status": COMMITTED, "department": ["974"]}, euros("67 500,00")) in tranche_links
    assert ({"status": ["due", "blocked", "approved"]}, euros("0,00")) in tranche_links
    # « À reverser » leads to the recoveries provisional or issued of the territory (none here).
    recovery_links = [(query, text) for path, query, text in links if path == "/reversements"]
    assert ({"status": ["provisional", "issued"], "region": ["84"]}, euros("0,00")) in recovery_links
    assert ({"status": ["provisional", "issued"], "department": ["974"]}, euros("0,00")) in recovery_links
    assert not [query for query, _ in tranche_links if query.get("status") in ([""], [])]
    # A finance officer may not open the conventions or the obligations: those figures are not links.
    assert not [path for path, _, _ in links if path in ("/conventions", "/obligations")]
    assert "pour votre rôle, ces nombres ne sont pas des liens" in page

    # The posts on 10 June 2022 (the conventions service's day): 2 + 1 granted, none filled.
    posts = re.search(r'<table id="table-posts">.*?</table>', page, flags=re.DOTALL).group(0)
    assert re.search(r"Ensemble du programme</th>\s*<td[^>]*>2</td><td[^>]*>3</td><td[^>]*>0</td>", posts)
    # The candidates of the 3 posts were due on 15 June 2021: 3 obligations overdue, at 2 structures.
    late = re.search(r'<table id="table-obligations">.*?</table>', page, flags=re.DOTALL).group(0)
    assert re.search(r"Présenter un candidat sur le poste attribué</th><td[^>]*>3</td><td[^>]*>2</td>", late)
    # Both conventions end on 28 February 2023.
    endings = re.search(r'<table id="table-endings">.*?</table>', page, flags=re.DOTALL).group(0)
    assert re.search(r"Février 2023</th><td[^>]*>2</td><td[^>]*>3</td>", endings)

    # The list a figure leads to shows what it adds up.
    listed = browser.client.get("/tranches?status=" + "&status=".join(COMMITTED) + "&region=84")
    text = listed.get_data(as_text=True)
    assert listed.status_code == 200
    assert "Territoire : région Auvergne-Rhône-Alpes" in text and "Commune de Saint-Flour" in text
    assert "Commune du Tampon" not in text
    assert text.count(euros("40 000,00")) == 2 and euros("20 000,00") in text  # 40 % / 40 % / 20 %


def test_a_legal_officer_follows_the_posts_and_the_endings_to_the_conventions(dashboard_web, browser_of):
    browser = browser_of(dashboard_web.test_client())
    assert browser.sign_in("claire.martin").status_code == 302

    page = browser.client.get("/tableau-de-bord").get_data(as_text=True)

    links = links_of(page)
    assert not [path for path, _, _ in links if path in ("/tranches", "/reversements", "/obligations")]
    conventions = [(query, text) for path, query, text in links if path == "/conventions"]
    assert ({"active_on": ["2022-06-10"], "region": ["84"]}, "2") in conventions
    assert (
        {"running": ["true"], "ends_from": ["2023-02-01"], "ends_to": ["2023-02-28"]},
        "2",
    ) in conventions
    listed = browser.client.get("/conventions?running=true&ends_from=2023-02-01&ends_to=2023-02-28")
    text = listed.get_data(as_text=True)
    assert "Conventions en cours, finissant à partir du 1er février 2023" in text
    assert "Commune de Saint-Flour" in text and "Commune du Tampon" in text
    one = browser.client.get("/conventions?active_on=2022-06-10&department=974").get_data(as_text=True)
    assert "Commune du Tampon" in one and "Commune de Saint-Flour" not in one


def test_an_auditor_follows_every_figure(dashboard_web, browser_of):
    browser = browser_of(dashboard_web.test_client())
    assert browser.sign_in("ines.girard").status_code == 302

    page = browser.client.get("/tableau-de-bord").get_data(as_text=True)

    paths = {path for path, _, _ in links_of(page)}
    assert {"/tranches", "/reversements", "/conventions", "/obligations"} <= paths
    late = [query for path, query, _ in links_of(page) if path == "/obligations"]
    assert {"status": ["overdue"], "kind": ["candidate_presentation"]} in late
    assert "ne sont pas des liens" not in page


def test_the_dashboard_is_not_for_structures_nor_compliance_officers(dashboard_web, browser_of):
    for login in ("saint-flour", "helene.robert"):
        browser = browser_of(dashboard_web.test_client())
        assert browser.sign_in(login).status_code == 302
        home = browser.client.get("/", follow_redirects=True).get_data(as_text=True)
        assert "Tableau de bord" not in home
        refused = browser.client.get("/tableau-de-bord")
        assert refused.status_code == 403
        assert "Accès refusé" in refused.get_data(as_text=True)


def test_a_service_that_does_not_answer_leaves_the_rest_of_the_page(web_app, web_to, browser_of, services):
    web = web_app(conventions_url=URLS["conventions"], payments_url="http://127.0.0.1:9")
    web_to(web, URLS["conventions"], services["conventions"], "10.0.0.2")
    browser = browser_of(web.test_client())
    assert browser.sign_in("claire.martin").status_code == 302

    response = browser.client.get("/tableau-de-bord")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Le service des paiements ne répond pas" in page
    assert "Le service de conformité ne répond pas" in page
    assert '<table id="table-posts">' in page and len(charts_of(page)) == 2
