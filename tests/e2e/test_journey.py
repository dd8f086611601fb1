"""The whole journey across the three services running as real processes over real HTTP.

A public structure in La Réunion gets a convention for 2 posts; its tranches appear in payments; a
contract is signed above the SMIC; obligations appear in compliance; time passes (jobs run for chosen
dates, the services' clock fixed at the approval day); the training obligation goes overdue; the
structure receives the French e-mail; approving the first tranche is refused for that reason; the
structure uploads evidence and the training is recorded; approval succeeds; a payment run is exported as
a valid SEPA file and confirmed by another officer; the legal officer downloads the convention PDF, and
the download is in the log.
"""

from __future__ import annotations

import io
import re

import pytest
import requests
from pypdf import PdfReader

from cnum_shared.mailsink import MailSink
from cnum_shared.testing import TEST_JWT_SECRET, ServiceProcess, bearer, free_port, run_command
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions.adapters.converter import (
    libreoffice_available,
    start_converter,
    stop_converter,
    wait_until_ready,
)
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments.adapters.sepa import summary, validate_pain001
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

pytestmark = pytest.mark.slow
APPROVAL_DAY = "2026-03-10T09:00:00+00:00"


class Product:
    """The three services, the converter and the SMTP sink, with the commands of their schedulers."""

    def __init__(self, databases: dict[str, str], var_dir, smtp: MailSink, converter_url: str) -> None:
        self.processes = {
            name: ServiceProcess(name, {}) for name in ("conventions", "payments", "compliance")
        }
        common = {
            "CNUM_JWT_SECRET": TEST_JWT_SECRET,
            "CNUM_ENVIRONMENT": "test",
            "CNUM_FAKE_NOW": APPROVAL_DAY,
            "CNUM_SMTP_PORT": str(smtp.port),
            "CNUM_RELAY_BACKOFF_BASE_SECONDS": "0",
            "CONVENTIONS_CONVERTER_URL": converter_url,
            **{f"CNUM_{name.upper()}_URL": process.url for name, process in self.processes.items()},
        }
        self.env = {}
        for name, process in self.processes.items():
            self.env[name] = {
                **common,
                "CNUM_VAR_DIR": str(var_dir / name),
                f"{name.upper()}_DATABASE_URL": databases[name],
            }
            process.env = self.env[name]

    def start(self) -> None:
        for process in self.processes.values():
            process.start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def job(self, service: str, job: str, as_of: str | None = None) -> str:
        arguments = ["-m", f"{service}.jobs", "run", job] + (["--as-of", as_of] if as_of else [])
        return run_command(*arguments, env=self.env[service]).strip()

    def relay(self) -> None:
        """Every service's relay once (conventions first: its events create what the others publish)."""
        for service in ("conventions", "compliance", "payments"):
            self.job(service, "relay_outbox")

    def call(self, service, method, path, expected, role="legal", json=None, headers=None, **claims):
        response = requests.request(
            method,
            f"{self.processes[service].url}/api/v1{path}",
            json=json,
            headers={**bearer(role, **claims), **(headers or {})},
            timeout=60,
        )
        assert response.status_code == expected, (method, path, response.status_code, response.text[:500])
        return response


@pytest.fixture(scope="module")
def converter_url(tmp_path_factory):
    if not libreoffice_available():
        pytest.skip("LibreOffice is not installed (make libreoffice)")
    port = free_port()
    process = start_converter(port, 1, tmp_path_factory.mktemp("converter"))
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url, process=process)
    yield url
    stop_converter(process)


@pytest.fixture
def product(db_backend, test_databases, tmp_path, converter_url):
    databases = {
        "conventions": test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS),
        "payments": test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS),
        "compliance": test_databases.fresh("compliance", db_backend, COMPLIANCE_MIGRATIONS),
    }
    with MailSink(tmp_path / "mail") as smtp:
        product = Product(databases, tmp_path, smtp, converter_url)
        product.smtp = smtp
        product.start()
        try:
            yield product
        finally:
            product.stop()


JOURNEYS = {
    # a public structure in La Réunion, 2 posts: 2 × (17 500, 12 500, 12 500)
    "la-reunion-public": (
        3,
        2,
        "1900.00",
        ["35000.00", "25000.00", "25000.00"],
        "85 000,00 €",
        "quatre-vingt-cinq mille euros",
    ),
    # a private association on a renewal convention, 1 post: 20 000, 14 000, 10 000
    "private-renewal": (
        1,
        1,
        "1900.00",
        ["20000.00", "14000.00", "10000.00"],
        "44 000,00 €",
        "quarante-quatre mille euros",
    ),
    # Mayotte (public, QPV): a salary between the Mayotte SMIC (1 415,05 €) and the national one is accepted
    "mayotte": (
        4,
        1,
        "1500.00",
        ["20000.00", "17500.00", "12500.00"],
        "50 000,00 €",
        "cinquante mille euros",
    ),
}


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_a_structure_from_convention_to_payment(product, journey):
    index, posts, salary, tranches, total_fr, total_words = JOURNEYS[journey]
    # A legal officer registers the structure and signs its convention.
    structure = product.call("conventions", "POST", "/structures", 201, json=DEMO_STRUCTURES[index]).json()
    convention = product.call(
        "conventions",
        "POST",
        "/conventions",
        201,
        json={
            "structure_id": structure["id"],
            "wave": "renewal",
            "posts": posts,
            "start_date": "2025-09-01",
            "duration_months": 36,
        },
    ).json()
    product.call(
        "conventions", "POST", f"/conventions/{convention['id']}/sign", 200, json={"signed_on": "2025-09-01"}
    )
    advisor = product.call(
        "conventions",
        "POST",
        "/advisors",
        201,
        json={
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1994-05-04",
            "email": "ines@example.org",
        },
    ).json()
    product.call(
        "conventions",
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        json={
            "advisor_id": advisor["id"],
            "contract_type": "cdd",
            "start_date": "2026-01-05",
            "end_date": "2027-12-31",
            "weekly_hours": "35",
            "gross_monthly_salary": salary,
            "signed_on": "2026-01-05",
        },
    )
    product.relay()

    # Its tranches appear in payments, with the right amounts; its obligations in compliance.
    schedule = product.call("payments", "GET", f"/schedules/{convention['id']}", 200, role="finance").json()
    assert [t["amount"] for t in schedule["tranches"]] == tranches
    obligations = product.call("compliance", "GET", "/obligations", 200, role="compliance").json()
    training = next(o for o in obligations if o["kind"] == "training_entry")
    assert training["due_on"] == "2026-01-20"

    # Time passes: the training obligation goes overdue and the structure gets the e-mail.
    assert "1 en retard" in product.job("compliance", "scan", "2026-01-25")
    assert "1 envoyé(s)" in product.job("compliance", "send_alerts", "2026-01-25")
    product.relay()
    (mail,) = product.smtp.messages()
    assert mail["To"] == DEMO_STRUCTURES[index]["email"]
    assert (
        "Faire entrer le conseiller en formation initiale : en retard"
        in mail.get_body(("plain",)).get_content()
    )

    # Approving the first tranche is refused for that reason.
    product.job("payments", "mark_due", "2026-03-10")
    first = schedule["tranches"][0]
    refused = product.call(
        "payments", "POST", f"/tranches/{first['id']}/approve", 409, role="finance", json={}, sub="alice"
    ).json()
    assert [r["code"] for r in refused["errors"]["reasons"]] == ["overdue_obligation"]
    assert "entrée en formation, échue le 20 janvier 2026" in refused["errors"]["reasons"][0]["message"]

    # The structure uploads its evidence, the training is recorded: the obligation is fulfilled.
    as_structure = {"role": "structure", "structure_id": structure["id"]}
    uploaded = requests.post(
        f"{product.processes['compliance'].url}/api/v1/obligations/{training['id']}/evidence",
        files={
            "file": (
                "attestation.pdf",
                io.BytesIO(b"%PDF-1.4 attestation d'entree en formation"),
                "application/pdf",
            )
        },
        headers=bearer(**as_structure),
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    product.call(
        "compliance",
        "POST",
        "/training-records",
        201,
        role="compliance",
        json={"contract_id": training["contract_id"], "kind": "training_entry", "date": "2026-02-02"},
    )
    product.relay()

    # Approval succeeds; another officer builds the payment run, a third confirms it: the tranche is paid.
    product.call(
        "payments", "POST", f"/tranches/{first['id']}/approve", 200, role="finance", json={}, sub="alice"
    )
    run = product.call(
        "payments",
        "POST",
        "/payment-runs",
        201,
        role="finance",
        sub="bruno",
        json={"execution_date": "2026-03-12"},
        headers={"Idempotency-Key": "run-2026-03"},
    ).json()
    sepa = product.call(
        "payments", "GET", f"/payment-runs/{run['id']}/sepa", 200, role="finance", sub="bruno"
    ).content
    validate_pain001(sepa)
    assert str(summary(sepa)["control_sum"]) == tranches[0]
    product.call(
        "payments",
        "POST",
        f"/payment-runs/{run['id']}/confirm",
        200,
        role="finance",
        sub="chloe",
        json={"paid_on": "2026-03-12"},
    )
    assert (
        product.call("payments", "GET", f"/tranches/{first['id']}", 200, role="finance").json()["status"]
        == "paid"
    )
    balance = product.call(
        "payments", "GET", f"/conventions/{convention['id']}/balance", 200, role="finance"
    ).json()
    assert (balance["paid"], balance["total"]) == (tranches[0], convention["total_amount"])

    # The legal officer downloads the convention: the amounts are in it, the download in the log.
    pdf = product.call(
        "conventions", "GET", f"/conventions/{convention['id']}/document?format=pdf", 200
    ).content
    text = re.sub(
        r"\s+",
        " ",
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages[:2])
        .replace("\xa0", " ")
        .replace("\u202f", " "),
    )
    for expected in (DEMO_STRUCTURES[index]["name"], structure["siret"], total_fr, total_words):
        assert expected in text, expected
    log = product.call("conventions", "GET", f"/conventions/{convention['id']}/downloads", 200).json()
    assert [(entry["role"], entry["format"]) for entry in log] == [("legal", "pdf")]
