"""The product as real processes for the end-to-end tests: the three services (and the web interface when
asked), the PDF converter, a real SMTP server, and the schedulers' jobs run as commands for chosen dates."""

from __future__ import annotations

import pytest
import requests

from cnum_shared.framework.mailsink import MailSink
from cnum_shared.testing import (
    TEST_KEY_ENV,
    OidcProviderProcess,
    ServiceProcess,
    bearer,
    postgres_required,
    postgres_unavailable_reason,
    run_command,
)
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

SERVICES = ("conventions", "payments", "compliance")
#: The services' clock during the journeys (the day the first tranche is approved).
APPROVAL_DAY = "2026-03-10T09:00:00+00:00"


class Product:
    """The three services, the converter and the SMTP sink, with the commands of their schedulers."""

    def __init__(
        self, databases: dict[str, str], var_dir, smtp: MailSink, converter_url: str, *, web: bool = False
    ) -> None:
        self.smtp = smtp
        self.processes = {name: ServiceProcess(name, {}) for name in (*SERVICES, *(("web",) if web else ()))}
        common = {
            **TEST_KEY_ENV,
            "CNUM_ENVIRONMENT": "test",
            "CNUM_FAKE_NOW": APPROVAL_DAY,
            "CNUM_SMTP_PORT": str(smtp.port),
            "CNUM_RELAY_BACKOFF_BASE_SECONDS": "0",
            "CONVENTIONS_CONVERTER_URL": converter_url,
            **{f"CNUM_{name.upper()}_URL": self.processes[name].url for name in SERVICES},
        }
        self.env = {}
        #: The local OpenID provider officers sign in at, with the web front (decision 0042).
        self.oidc = OidcProviderProcess() if web else None
        for name, process in self.processes.items():
            own = {"CNUM_VAR_DIR": str(var_dir / name)}
            if name in databases:
                own[f"{name.upper()}_DATABASE_URL"] = databases[name]
            if name == "web" and self.oidc is not None:
                own.update(WEB_OIDC_ISSUER=self.oidc.issuer, WEB_BASE_URL=process.url)
            self.env[name] = {**common, **own}
            process.env = self.env[name]

    @property
    def web_url(self) -> str:
        return self.processes["web"].url

    def start(self) -> None:
        if self.oidc is not None:
            # The demo officers in the directory, under the account ids the pages name them by.
            run_command("-m", "conventions.manage", "load-demo-officers", env=self.env["conventions"])
            self.oidc.start()
        for process in self.processes.values():
            process.start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        if self.oidc is not None:
            self.oidc.stop()

    def job(self, service: str, job: str, as_of: str | None = None) -> str:
        arguments = ["-m", f"{service}.jobs", "run", job] + (["--as-of", as_of] if as_of else [])
        return run_command(*arguments, env=self.env[service]).strip()

    def relay(self) -> None:
        """Every service's relay once (conventions first: its events create what the others publish)."""
        for service in ("conventions", "compliance", "payments"):
            self.job(service, "relay_outbox")

    def earlier_convention_settled(self, structure) -> None:
        """The structure's first convention (initial wave, 2021), closed at its end, and what compliance
        followed on it settled: a renewal continues an earlier convention (DESIGN §3)."""
        months = 24 if structure["kind"] == "public" else 18
        earlier = self.call(
            "conventions",
            "POST",
            "/conventions",
            201,
            json={
                "structure_id": structure["id"],
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": months,
            },
        ).json()
        path = f"/conventions/{earlier['id']}"
        self.call("conventions", "POST", f"{path}/sign", 200, json={"signed_on": "2021-03-15"})
        self.call(
            "conventions", "POST", f"{path}/close", 200, json={"on": earlier["end_date"], "reason": "Terme"}
        )
        self.relay()
        followed = self.call(
            "compliance",
            "GET",
            f"/obligations?structure_id={structure['id']}&page_size=100",
            200,
            role="compliance",
        ).json()
        for obligation in followed:
            if obligation["convention_id"] == earlier["id"] and obligation["status"] not in (
                "fulfilled",
                "waived",
            ):
                self.call(
                    "compliance",
                    "POST",
                    f"/obligations/{obligation['id']}/waive",
                    200,
                    role="compliance",
                    json={"reason": "Convention de 2021 soldée avant le renouvellement."},
                )
        self.relay()

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


def _databases(test_databases, backend: str) -> dict[str, str]:
    return {
        "conventions": test_databases.fresh("conventions", backend, CONVENTIONS_MIGRATIONS),
        "payments": test_databases.fresh("payments", backend, PAYMENTS_MIGRATIONS),
        "compliance": test_databases.fresh("compliance", backend, COMPLIANCE_MIGRATIONS),
    }


@pytest.fixture
def product(db_backend, test_databases, tmp_path, converter_url):
    with MailSink(tmp_path / "mail") as smtp:
        product = Product(_databases(test_databases, db_backend), tmp_path, smtp, converter_url)
        product.start()
        try:
            yield product
        finally:
            product.stop()


@pytest.fixture
def browser_backend() -> str:
    """Browser journeys run on PostgreSQL (required under CI), on SQLite where there is none."""
    reason = postgres_unavailable_reason()
    if reason is None:
        return "postgresql"
    if postgres_required():
        pytest.fail(reason)
    return "sqlite"


@pytest.fixture
def product_with_web(browser_backend, test_databases, tmp_path, converter_url):
    with MailSink(tmp_path / "mail") as smtp:
        product = Product(
            _databases(test_databases, browser_backend), tmp_path, smtp, converter_url, web=True
        )
        product.start()
        try:
            yield product
        finally:
            product.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so that the browser fixture can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
