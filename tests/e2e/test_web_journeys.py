"""The web interface in a real browser (Debian's Chromium, headless, through its ChromeDriver), one
journey per kind of officer, on the running product: the three services, the web front, the converter and
a real SMTP server as processes on 127.0.0.1. Each journey saves screenshots under the test's directory
(and under docs/screenshots/ when CNUM_SAVE_SCREENSHOTS=1).

Data that is not the officer's own work (a structure registered, a contract signed, time passing) is set
up through the APIs and the jobs, as in test_journey.py; what the officer does is done with clicks.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader, PdfWriter
from selenium import webdriver
from selenium.common.exceptions import (
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conventions.demo import DEMO_STRUCTURES
from payments.adapters.sepa import summary, validate_pain001

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
#: What reading a page may meet while the browser moves to the next one: read it again then.
BETWEEN_PAGES = (StaleElementReferenceException, NoSuchElementException, JavascriptException)
SAINT_FLOUR = DEMO_STRUCTURES[0]  # the demo account "saint-flour" signs in as this structure
AXE_SOURCE = (ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js").read_text()
#: RGAA 4.1 follows WCAG 2.1 at levels A and AA: axe-core's rules of those levels.
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The demo people the journeys sign in as, by short name: their addresses at the local OpenID provider.
PEOPLE = {
    "claire.martin": "claire.martin@agence.example",
    "alice.durand": "alice.durand@agence.example",
    "bruno.petit": "bruno.petit@agence.example",
    "helene.robert": "helene.robert@agence.example",
    "saint-flour": "agent@saint-flour.example",
}


class Browser:
    """An officer at a browser: signs in, follows links, fills forms, reads the page."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots
        #: axe-core's violations on each page the journey read, by address (RGAA 4.1 ≈ WCAG 2.1 AA).
        self.accessibility: dict[str, list[str]] = {}

    def check_accessibility(self) -> None:
        """Run axe-core (npm, services/web/node_modules) on the page shown, once per address."""
        address = str(self.driver.current_url).split("#")[0]
        if address in self.accessibility or not address.startswith(self.base_url):
            return
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(AXE_SOURCE)
        found = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '"
            " + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', '))))"
            ".catch(e => done(['axe failed: ' + e]));",
            AXE_RULES,
        )
        self.accessibility[address] = list(found)

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def sign_in(self, login: str) -> None:
        """Sign in as a demo person at the local OpenID provider (infra/oidc-users.yaml): the sign-in
        page's button, then the provider's page, where one types the person's address."""
        self.open("/connexion")
        self.check_accessibility()
        self.click_button("S'identifier avec ProConnect")
        WebDriverWait(self.driver, 30, ignored_exceptions=BETWEEN_PAGES).until(
            lambda driver: driver.find_elements(By.NAME, "sub")
        )
        person = PEOPLE.get(login, login)
        buttons = self.driver.find_elements(By.CSS_SELECTOR, f'button[name="sub"][value="{person}"]')
        if buttons:  # the provider's button for a person it knows
            buttons[0].click()
        else:
            field = self.driver.find_element(By.CSS_SELECTOR, 'input[name="sub"]')
            field.send_keys(person)
            field.submit()
        # Wait for the officer's first page: opening another one while the sign-in's redirects are still
        # on their way would be overtaken by them.
        WebDriverWait(self.driver, 30, ignored_exceptions=BETWEEN_PAGES).until(
            lambda driver: "/connexion" not in driver.current_url and "Se déconnecter" in self.text()
        )

    def click_button(self, text: str) -> None:
        self.driver.find_element(By.XPATH, f"//button[contains(normalize-space(), {_xpath(text)})]").click()

    def click_link(self, text: str) -> None:
        self.driver.find_element(By.XPATH, f"//a[contains(normalize-space(), {_xpath(text)})]").click()

    def tab_to(self, words: str, presses: int = 120) -> None:
        """Press Tab, as a keyboard user would, until the focused element is the link, button or field that
        says (or is labelled) `words`; the focus must be visible there (RGAA 10.7)."""
        for _ in range(presses):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            focused = self.driver.switch_to.active_element
            said = " ".join(
                str(value or "")
                for value in (
                    focused.text,
                    focused.get_attribute("value") if focused.tag_name == "button" else "",
                    focused.get_attribute("aria-label"),
                    self.driver.execute_script(
                        "const l = arguments[0].labels; return l && l.length ? l[0].innerText : ''", focused
                    ),
                )
            )
            if words in " ".join(said.split()):
                outline = self.driver.execute_script(
                    "const s = getComputedStyle(arguments[0]);"
                    "return [s.outlineStyle, s.outlineWidth, s.boxShadow].join(' ')",
                    focused,
                )
                assert not outline.startswith("none") or "rgb" in outline, f"focus not visible on {words}"
                return
        raise AssertionError(f"{words!r} never took the focus in {presses} presses of Tab")

    def press(self, *keys: str) -> None:
        ActionChains(self.driver).send_keys(*keys).perform()

    def fill(self, element_id: str, value: str) -> None:
        """Set a field as typing would; a date is set directly (its widget's typing order is the locale's)."""
        element = self.driver.find_element(By.ID, element_id)
        if element.get_attribute("type") == "date":
            self.driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            element.clear()
            element.send_keys(value)

    def text(self) -> str:
        """The page's text, its French no-break spaces (in amounts, before colons) as plain spaces; each
        page read is also checked by axe-core."""
        with contextlib.suppress(*BETWEEN_PAGES):  # a page arriving: it is checked when read again
            self.check_accessibility()
        # Read in one script, not through an element handle that a page arriving may detach meanwhile.
        rendered = self.driver.execute_script("return document.body ? document.body.innerText : ''")
        return re.sub(r"[\s\u00a0\u202f]+", " ", str(rendered))

    def wait_for_text(self, words: str, seconds: float = 30) -> None:
        waiting = WebDriverWait(self.driver, seconds, ignored_exceptions=BETWEEN_PAGES)
        waiting.until(lambda _: words in self.text())

    def open_row(self, words: str, path: str) -> str:
        """Follow the link to `path` in the table row that mentions `words`; the address it opened."""
        before = self.driver.current_url
        row_link = f"//tr[contains(., {_xpath(words)})]//a[contains(@href, '{path}')]"
        self.driver.find_element(By.XPATH, row_link).click()
        WebDriverWait(self.driver, 30).until(lambda driver: driver.current_url != before)
        return str(self.driver.current_url)

    def screenshot(self, name: str) -> None:
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))
        if os.environ.get("CNUM_SAVE_SCREENSHOTS") == "1":
            (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.shots / f"{name}.png", ROOT / "docs" / "screenshots" / f"{name}.png")

    def fetch(self, href: str) -> requests.Response:
        """What a link downloads, with the browser's session (a download is a file, not a page)."""
        cookies = {cookie["name"]: cookie["value"] for cookie in self.driver.get_cookies()}
        response = requests.get(href, cookies=cookies, timeout=120)
        assert response.status_code == 200, (href, response.status_code, response.text[:300])
        return response

    def href(self, link_text: str) -> str:
        link = self.driver.find_element(By.XPATH, f"//a[contains(normalize-space(), {_xpath(link_text)})]")
        return str(link.get_attribute("href"))


def _xpath(text: str) -> str:
    """A string literal for XPath 1.0, whatever quotes `text` holds."""
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


@pytest.fixture
def browser(product_with_web, tmp_path, request):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium and ChromeDriver are required under CI (make chromium)")
        pytest.skip("Chromium is not installed (make chromium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1366,900",
        "--lang=fr-FR",
    ):
        options.add_argument(argument)
    try:
        # LANGUAGE: Chromium's own words (the file picker's button) in French too.
        service = Service(CHROMEDRIVER, env={**os.environ, "LANGUAGE": "fr"})
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as error:
        pytest.fail(f"Chromium did not start: {error}")
    driver.implicitly_wait(5)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        browser = Browser(driver, product_with_web.web_url, shots)
        yield browser
        found = json.dumps(browser.accessibility, indent=1, ensure_ascii=False)
        (shots / "accessibility.json").write_text(found)
        # RGAA 4.1 as axe-core checks it: no violation on any page the journey read.
        violations = {page: found for page, found in browser.accessibility.items() if found}
        assert browser.accessibility, "axe-core checked no page"
        assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            driver.save_screenshot(str(shots / "failure.png"))
            print(f"page at failure: {driver.current_url}\n{shots / 'failure.png'}")
    finally:
        driver.quit()


def a_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def signed_convention(product, structure_fields, posts=1, signed_on="2024-09-01"):
    """A structure and its signed renewal convention of September 2024 (its 2021 convention closed and
    settled first), registered by a legal officer over the API."""
    structure = product.call("conventions", "POST", "/structures", 201, json=structure_fields).json()
    product.earlier_convention_settled(structure)
    convention = product.call(
        "conventions",
        "POST",
        "/conventions",
        201,
        json={
            "structure_id": structure["id"],
            "wave": "renewal",
            "posts": posts,
            "start_date": "2024-09-01",
            "duration_months": 36,
        },
    ).json()
    product.call(
        "conventions", "POST", f"/conventions/{convention['id']}/sign", 200, json={"signed_on": signed_on}
    )
    return structure, convention


def contract_signed(product, convention, first_name="Inès"):
    advisor = product.call(
        "conventions",
        "POST",
        "/advisors",
        201,
        json={
            "first_name": first_name,
            "last_name": "Payet",
            "birth_date": "1994-05-04",
            "email": "a@example.org",
            "structure_id": convention["structure_id"],
        },
    ).json()
    return product.call(
        "conventions",
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        json={
            "advisor_id": advisor["id"],
            "contract_type": "cdd",
            # Signed on 5 January, starting on 2 February: the equipment is due on the first day.
            "start_date": "2026-02-02",
            "end_date": "2027-12-31",
            "weekly_hours": "35",
            "gross_monthly_salary": "1900.00",
            "signed_on": "2026-01-05",
        },
    ).json()


def test_a_legal_officer_creates_signs_and_downloads_a_convention_then_follows_a_batch(
    product_with_web, browser
):
    product = product_with_web
    structure = product.call("conventions", "POST", "/structures", 201, json=SAINT_FLOUR).json()
    product.earlier_convention_settled(structure)  # a renewal continues the 2021 convention

    browser.sign_in("claire.martin")
    browser.wait_for_text("Conventions de subvention")
    browser.click_link("Nouvelle convention")
    Select(browser.driver.find_element(By.ID, "structure_id")).select_by_value(structure["id"])
    Select(browser.driver.find_element(By.ID, "wave")).select_by_value("renewal")
    browser.fill("posts", "2")
    browser.fill("start_date", "2024-09-01")
    browser.fill("duration_months", "36")
    browser.screenshot("legal-1-new-convention")
    browser.click_button("Créer la convention")

    browser.wait_for_text("créée (brouillon)")
    page = browser.text()
    assert "Commune de Saint-Flour" in page
    assert "100 000,00 €" in page  # 2 posts × 50 000 € (renewal, QPV/ZRR)
    browser.fill("signed_on", "2024-09-01")
    browser.click_button("Signer la convention")
    browser.wait_for_text("signée le 1er septembre 2024")

    pdf = browser.fetch(browser.href("Télécharger la convention (PDF)"))
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = re.sub(r"[\u00a0\u202f]", " ", text)  # French typography: no-break spaces in amounts
    assert "Saint-Flour" in text
    assert "100 000,00" in text
    browser.driver.refresh()
    browser.wait_for_text("Journal des téléchargements")
    log = browser.driver.find_element(By.CSS_SELECTOR, "table#journal")
    # The log names the officer (the services record her account id; the web front shows her name).
    assert "Claire Martin" in log.text and "PDF" in log.text
    browser.screenshot("legal-2-signed-convention")

    # A batch of every signed convention, followed on its progress bar while the scheduler renders it.
    browser.click_link("Édition par lots")
    browser.click_button("Lancer l'édition")
    browser.wait_for_text("Édition lancée : 1 convention à produire")
    assert browser.driver.find_element(By.ID, "batch-progress").get_attribute("value") == "0"
    assert not browser.driver.find_element(By.ID, "batch-archive").is_displayed()
    product.job("conventions", "run_document_batches")
    browser.wait_for_text("TERMINÉ")  # the page follows the batch by itself
    assert browser.driver.find_element(By.ID, "batch-progress").get_attribute("value") == "100"
    assert browser.driver.find_element(By.ID, "batch-archive").is_displayed()
    assert "documents produits : 1 sur 1" in browser.text()
    browser.screenshot("legal-3-batch-done")
    archive = browser.fetch(browser.href("Télécharger l'archive ZIP"))
    assert archive.content[:2] == b"PK"


def test_a_finance_officer_reads_why_a_tranche_is_blocked_approves_it_and_a_second_officer_pays_once(
    product_with_web, browser
):
    product = product_with_web
    _, blocked = signed_convention(product, DEMO_STRUCTURES[3])  # Le Tampon, La Réunion
    contract_signed(product, blocked)
    association, clear = signed_convention(product, DEMO_STRUCTURES[1])  # in the Val-de-Marne
    product.relay()
    # The association's post waits for a candidate (due 1 December 2024, 3 months after the signature);
    # its recruitment is under way and the compliance officer extended the presentation.
    (waiting,) = product.call(
        "compliance",
        "GET",
        f"/obligations?structure_id={association['id']}&kind=candidate_presentation&status=open",
        200,
        role="compliance",
    ).json()
    product.call(
        "compliance", "POST", f"/obligations/{waiting['id']}/extend", 200, role="compliance",
        json={"due_on": "2026-06-30", "reason": "recrutement en cours"},
    )  # fmt: skip
    product.job("compliance", "scan", "2026-01-25")  # the training entry is overdue
    product.relay()
    product.job("payments", "mark_due", "2026-03-10")

    browser.sign_in("alice.durand")
    browser.wait_for_text("Tranches")
    assert blocked["reference"] in browser.text() and clear["reference"] in browser.text()
    browser.open_row(blocked["reference"], "/tranches/")
    browser.click_button("Approuver")
    browser.wait_for_text("les motifs sont détaillés ci-dessous")
    reasons = browser.driver.find_element(By.ID, "motifs-liste").text
    assert "en retard sur une de ses obligations" in reasons
    browser.screenshot("finance-1-blocking-reasons")

    # A structure's tranches, found by a part of its name (decision 0044).
    browser.open("/tranches?status=&structure=tampon")
    browser.wait_for_text("Tranches de Commune du Tampon")
    assert blocked["reference"] in browser.text() and clear["reference"] not in browser.text()

    # The other structure owes nothing overdue: its first tranche is approved, then paid by Bruno.
    browser.open("/tranches")
    tranche_url = browser.open_row(clear["reference"], "/tranches/")
    browser.click_button("Approuver")
    browser.wait_for_text("Tranche approuvée")

    browser.sign_in("bruno.petit")
    browser.driver.get(tranche_url)
    key = browser.driver.find_element(By.NAME, "idempotency_key").get_attribute("value")
    browser.fill("reference", "VIR-2026-0001")
    browser.screenshot("finance-2-pay")
    browser.click_button("Payer")
    browser.wait_for_text("Tranche payée")
    # The same form sent again (a double click that got through, a resent page) pays nothing more.
    browser.driver.get(tranche_url)
    browser.wait_for_text("payée")
    tranche_id = tranche_url.rstrip("/").rsplit("/", 1)[1]
    history = product.call("payments", "GET", f"/tranches/{tranche_id}/history", 200, role="finance").json()
    assert [step["to_status"] for step in history].count("paid") == 1
    session = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    page = requests.get(tranche_url, cookies=session, timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    again = requests.post(
        f"{tranche_url}/payer",
        data={
            "csrf_token": csrf,
            "idempotency_key": key,
            "paid_on": "2026-03-10",
            "reference": "VIR-2026-0001",
        },
        cookies=session,
        timeout=30,
    )
    assert again.status_code == 200
    history = product.call("payments", "GET", f"/tranches/{tranche_id}/history", 200, role="finance").json()
    assert [step["to_status"] for step in history].count("paid") == 1

    # Tranche 1 of Le Tampon, once what it owed by then is waived, goes into a SEPA payment run.
    product.job("compliance", "scan", "2026-03-10")
    obligations = product.call(
        "compliance", "GET", "/obligations?status=overdue", 200, role="compliance"
    ).json()
    for obligation in obligations:
        product.call(
            "compliance", "POST", f"/obligations/{obligation['id']}/waive", 200, role="compliance",
            json={"reason": "formation reportée (arrêt maladie)"},
        )  # fmt: skip
    product.job("compliance", "scan", "2026-03-10")
    product.relay()
    browser.sign_in("alice.durand")
    browser.open("/tranches?status=blocked")
    browser.open_row(blocked["reference"], "/tranches/")
    browser.click_button("Approuver")
    browser.wait_for_text("Tranche approuvée")
    browser.open("/ordres-de-virement")
    browser.click_button("Préparer l'ordre de virement")
    browser.wait_for_text("Ordre de virement préparé : 1 virement pour 17 500,00 €")
    sepa = browser.fetch(browser.href("Télécharger le fichier SEPA"))
    validate_pain001(sepa.content)
    assert summary(sepa.content)["control_sum"] == Decimal("17500.00")  # tranche 1 in La Réunion, 1 post
    browser.driver.refresh()
    browser.screenshot("finance-3-payment-run")

    # Bruno confirms the bank's execution (Alice prepared the run); then the bank returns the transfer.
    run_url = browser.driver.current_url
    run_id = run_url.rstrip("/").rsplit("/", 1)[1]
    browser.sign_in("bruno.petit")
    browser.driver.get(run_url)
    browser.click_button("Confirmer l'exécution par la banque")
    browser.wait_for_text("Exécution confirmée")
    browser.click_button("Enregistrer les rejets")  # nothing ticked: refused, nothing changes
    browser.wait_for_text("cochez au moins un virement rejeté")
    line = product.call("payments", "GET", f"/payment-runs/{run_id}", 200, role="finance").json()["lines"][0]
    assert line["status"] == "paid"
    # A DSFR checkbox is ticked through its label, which draws the box over the input.
    browser.driver.find_element(By.CSS_SELECTOR, f"label[for='rejected-{line['tranche_id']}']").click()
    browser.fill(f"reason-{line['tranche_id']}", "AC04 compte clôturé")
    browser.screenshot("finance-4-bank-rejection")
    browser.click_button("Enregistrer les rejets")
    browser.wait_for_text("1 virement rejeté enregistré")
    line = product.call("payments", "GET", f"/payment-runs/{run_id}", 200, role="finance").json()["lines"][0]
    assert (line["status"], line["rejection_reason"]) == ("rejected", "AC04 compte clôturé")
    tranche = product.call("payments", "GET", f"/tranches/{line['tranche_id']}", 200, role="finance").json()
    assert tranche["status"] == "approved"  # to be paid again once the bank details are right

    # The programme dashboard (decision 0043): its charts drawn by the server, each beside its table.
    browser.click_link("Tableau de bord")
    browser.wait_for_text("Tableau de bord du programme")
    assert "La Réunion" in browser.text() and "Île-de-France" in browser.text()
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")) == 4
    browser.screenshot("dashboard-1-programme")

    # The recoveries « à reverser » adds up, from the menu (none: no post ended early): checked by axe-core.
    browser.click_link("Reversements")
    browser.wait_for_text("Aucun reversement ne correspond à ces critères.")
    assert "Statut : provisoire" in browser.text() and "Statut : émis" in browser.text()


def test_a_compliance_officer_sees_overdue_obligations_first_waives_one_and_reads_the_alert(
    product_with_web, browser
):
    product = product_with_web
    _, convention = signed_convention(product, DEMO_STRUCTURES[3])
    contract_signed(product, convention)
    product.relay()
    assert "1 en retard" in product.job("compliance", "scan", "2026-01-25")
    # The digest, and the final statement of the structure's 2021 convention (nothing to settle).
    assert "2 envoyé(s)" in product.job("compliance", "send_alerts", "2026-01-25")

    browser.sign_in("helene.robert")
    browser.wait_for_text("Obligations")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert rows[0].find_element(By.CSS_SELECTOR, ".fr-badge--error").text.lower() == "en retard"
    assert "Commune du Tampon" in rows[0].text
    browser.screenshot("compliance-1-obligations")
    rows[0].find_element(By.PARTIAL_LINK_TEXT, "Voir l'obligation").click()
    browser.fill("waive-reason", "Entrée en formation reportée : arrêt maladie du conseiller.")
    browser.click_button("Lever")
    browser.wait_for_text("L'obligation est levée.")
    assert "arrêt maladie" in browser.text()
    browser.screenshot("compliance-2-waived")

    browser.click_link("Alertes envoyées")
    browser.wait_for_text("Alertes envoyées aux structures")
    page = browser.text()
    assert "envoyée" in page and "inclusion-numerique@letampon.example" in page
    browser.screenshot("compliance-3-alerts")
    assert "décompte final" in page and "rien ne reste à régler" in page
    mails = {message["Subject"].split(" ")[0]: message for message in product.smtp.messages()}
    assert mails.keys() == {"Conseiller", "Décompte"}
    assert "inclusion-numerique@letampon.example" in mails["Conseiller"]["To"]


def test_a_structure_reads_its_convention_and_uploads_evidence_and_its_signed_convention(
    product_with_web, browser, tmp_path
):
    product = product_with_web
    _, convention = signed_convention(product, SAINT_FLOUR)
    contract_signed(product, convention)
    product.relay()
    product.job("compliance", "scan", "2026-01-25")
    evidence = tmp_path / "attestation-entree-formation.pdf"
    evidence.write_bytes(a_pdf())
    not_a_pdf = tmp_path / "notes.pdf"
    not_a_pdf.write_text("ceci n'est pas un PDF")

    browser.sign_in("saint-flour")
    browser.wait_for_text("Commune de Saint-Flour")
    page = browser.text()
    assert convention["reference"] in page and "50 000,00 €" in page
    browser.screenshot("structure-1-home")

    upload = browser.driver.find_element(By.XPATH, "//input[@type='file' and starts-with(@id, 'file-')]")
    upload.send_keys(str(not_a_pdf))
    upload.find_element(By.XPATH, "./ancestor::form//button").click()
    browser.wait_for_text("Seuls les fichiers PDF, PNG et JPEG sont acceptés")

    upload = browser.driver.find_element(By.XPATH, "//input[@type='file' and starts-with(@id, 'file-')]")
    upload.send_keys(str(evidence))
    upload.find_element(By.XPATH, "./ancestor::form//button").click()
    browser.wait_for_text("version n° 1")

    signed = browser.driver.find_element(By.XPATH, "//input[@type='file' and starts-with(@id, 'signed-')]")
    signed.send_keys(str(evidence))
    browser.click_button("Envoyer la convention signée")
    browser.wait_for_text("Exemplaire contresigné de la convention reçu et conservé")
    browser.screenshot("structure-2-uploaded")
    revisions = product.call(
        "compliance", "GET", "/obligations?status=overdue", 200, role="compliance"
    ).json()
    (overdue,) = revisions
    stored = product.call(
        "compliance", "GET", f"/obligations/{overdue['id']}/evidence", 200, role="compliance"
    ).json()
    assert [item["file_name"] for item in stored] == ["attestation-entree-formation.pdf"]

    # The countersigned copy is listed under its convention and reads back as sent, for the structure
    # and for a legal officer; both downloads are in the convention's log.
    link = browser.driver.find_element(By.XPATH, "//a[contains(@href, '/exemplaires-signes/')]")
    assert link.text == "attestation-entree-formation.pdf"
    assert browser.fetch(str(link.get_attribute("href"))).content == evidence.read_bytes()
    browser.sign_in("claire.martin")
    browser.open(f"/conventions/{convention['id']}")
    browser.wait_for_text("Exemplaires contresignés")
    link = browser.driver.find_element(By.XPATH, "//a[contains(@href, '/exemplaires-signes/')]")
    assert browser.fetch(str(link.get_attribute("href"))).content == evidence.read_bytes()
    log = product.call("conventions", "GET", f"/conventions/{convention['id']}/downloads", 200).json()
    assert [line["role"] for line in log if line["template_name"] == "signed_copy"] == ["legal", "structure"]


def test_a_compliance_officer_does_her_work_with_the_keyboard_alone(product_with_web, browser):
    """RGAA: every page can be used with the keyboard alone. The compliance journey again, without the
    mouse: sign-in, the menu, a row's link, a form's field and button, each reached by Tab."""
    product = product_with_web
    _, convention = signed_convention(product, DEMO_STRUCTURES[3])
    contract_signed(product, convention)
    product.relay()
    assert "1 en retard" in product.job("compliance", "scan", "2026-01-25")

    browser.open("/connexion")
    browser.check_accessibility()
    browser.tab_to("S'identifier avec ProConnect")
    browser.press(Keys.ENTER)
    WebDriverWait(browser.driver, 30, ignored_exceptions=BETWEEN_PAGES).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, 'input[name="sub"]')
    )
    # The provider's page is not cnum's (ProConnect in production): its field is clicked, then typed in.
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name="sub"]').click()
    browser.press(PEOPLE["helene.robert"], Keys.ENTER)
    browser.wait_for_text("Se déconnecter")
    browser.wait_for_text("Obligations")

    browser.tab_to("Voir l'obligation")
    browser.press(Keys.ENTER)
    browser.wait_for_text("Lever")
    browser.tab_to("Motif de la levée")
    browser.press("Entrée en formation reportée : arrêt maladie du conseiller.")
    browser.tab_to("Lever")
    browser.press(Keys.ENTER)
    browser.wait_for_text("L'obligation est levée.")

    browser.tab_to("Alertes envoyées")
    browser.press(Keys.ENTER)
    browser.wait_for_text("Alertes envoyées aux structures")
