"""Issue 18, point 2: a recovery payments issues is e-mailed to the structure (ordre de reversement) with
the alerts' machinery: stored, sent once to the real SMTP server on 127.0.0.1, retried while it is down.

The producers are real: a legal officer makes, signs and closes the convention through the conventions
API, finance officers pay through the payments API, and every outbox is delivered to its consumers'
`POST /api/v1/events` as the relays post them (compliance's standing included). Every expected figure is
worked out here by hand from DESIGN §3/§4 (decision 0030).
"""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.core.wire import consumers_of
from cnum_shared.framework.mailsink import MailSink
from cnum_shared.testing import TestDatabases, bearer, free_port, outbox_envelopes, post_event, service_app
from compliance import create_app as create_compliance
from compliance.adapters.orm import event_tables as compliance_events
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import event_tables as payments_events
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from services.compliance.tests.api.test_exports import xlsx_rows

#: The agency's account, as payments is configured with it: the account a structure pays back to.
AGENCY = {
    "debtor_name": "Caisse des depots et consignations",
    "debtor_iban": "FR7640031000010000073987465",
    "debtor_bic": "CDCGFRPPXXX",
}
WEB_BASE_URL = "https://cnum.example.gouv.fr"
START, SIGNED, END = date(2021, 3, 1), date(2021, 3, 15), date(2023, 2, 28)  # 24 months
NNBSP, NBSP = "\u202f", "\xa0"  # French thousands separator, and the space before « € »


class Programme:
    """The three services on one backend, each outbox delivered to its consumers as the relays do."""

    def __init__(self, conventions, payments, compliance) -> None:
        self.apps = {"conventions": conventions, "payments": payments, "compliance": compliance}
        self.tables = {
            "conventions": conventions_events,
            "payments": payments_events,
            "compliance": compliance_events,
        }
        self.delivered: dict[str, dict] = {}

    def relay(self) -> None:
        """Every new event to every consumer, until no consumer's handling produces another."""
        while True:
            new = 0
            for producer, app in self.apps.items():
                for envelope in outbox_envelopes(app, self.tables[producer]):
                    if envelope["id"] in self.delivered:
                        continue
                    for consumer in consumers_of(envelope["type"]):
                        self.post(consumer, envelope)
                    self.delivered[envelope["id"]] = envelope
                    new += 1
            if not new:
                return

    def post(self, consumer: str, envelope: dict) -> str:
        response = post_event(self.apps[consumer].test_client(), envelope)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["status"]

    def call(self, service, method, path, expected, json=None, role="legal", headers=None, **claims):
        response = (
            self.apps[service]
            .test_client()
            .open(
                f"/api/v1{path}",
                method=method,
                json=json,
                headers={**bearer(role, **claims), **(headers or {})},
            )
        )
        assert response.status_code == expected, response.get_json()
        return response.get_json()

    def on(self, day: date) -> None:
        """Payments' clock at 9:00 UTC that day (the day finance officers act)."""
        self.apps["payments"].extensions["cnum"].clock.set(
            datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        )

    def job(self, service: str, name: str, as_of: date) -> str:
        jobs = importlib.import_module(f"{service}.jobs").JOBS
        return next(job for job in jobs if job.name == name).function(
            self.apps[service].extensions["cnum"], as_of
        )

    def pay(self, tranche: dict, on: date) -> None:
        """The tranche falls due, Alice approves it and Bruno pays it, on `on`."""
        self.job("payments", "mark_due", on)
        self.on(on)
        self.call(
            "payments", "POST", f"/tranches/{tranche['id']}/approve", 200, {}, role="finance", sub="alice"
        )
        self.call(
            "payments",
            "POST",
            f"/tranches/{tranche['id']}/pay",
            201,
            {"paid_on": on.isoformat(), "reference": f"VIR-{tranche['id'][:8]}"},
            role="finance",
            sub="bruno",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.relay()

    def send_alerts(self, as_of: date) -> str:
        return self.job("compliance", "send_alerts", as_of)

    def alerts(self) -> list[dict]:
        return self.call("compliance", "GET", "/alerts", 200, role="compliance")

    def alerts_export(self) -> list[dict]:
        response = (
            self.apps["compliance"]
            .test_client()
            .get("/api/v1/alerts/export?format=xlsx", headers=bearer("compliance"))
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return xlsx_rows(response)


@pytest.fixture
def smtp_port() -> int:
    """Where the SMTP server listens once a test starts it (nothing listens there before)."""
    return free_port()


@pytest.fixture
def programme(db_backend: str, test_databases: TestDatabases, tmp_path: Path, smtp_port: int):
    def database(service, migrations):
        return test_databases.fresh(service, db_backend, migrations)

    with (
        service_app(create_conventions, database("conventions", CONVENTIONS_MIGRATIONS), tmp_path / "c") as c,
        service_app(
            create_payments, database("payments", PAYMENTS_MIGRATIONS), tmp_path / "p", **AGENCY
        ) as p,
        service_app(
            create_compliance,
            database("compliance", COMPLIANCE_MIGRATIONS),
            tmp_path / "m",
            smtp_port=smtp_port,
            web_base_url=WEB_BASE_URL,
        ) as m,
    ):
        p.extensions["cnum"].clock = FixedClock(datetime(2021, 3, 15, 9, tzinfo=UTC))
        yield Programme(c, p, m)


def overpaid_convention_closed(programme: Programme) -> tuple[dict, dict]:
    """Saint-Flour (Cantal, public), one post: tranches 1 and 2 paid, its advisor's CDD ended early,
    the convention closed at its end. Returns the structure and the convention."""
    structure = programme.call("conventions", "POST", "/structures", 201, DEMO_STRUCTURES[0])
    assert structure["department"] == "15"
    convention = programme.call(
        "conventions",
        "POST",
        "/conventions",
        201,
        {
            "structure_id": structure["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": START.isoformat(),
            "duration_months": 24,
        },
    )
    path = f"/conventions/{convention['id']}"
    programme.call("conventions", "POST", f"{path}/sign", 200, {"signed_on": SIGNED.isoformat()})
    advisor = programme.call(
        "conventions",
        "POST",
        "/advisors",
        201,
        {
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1995-06-12",
            "email": "ines.payet@example.org",
            "structure_id": structure["id"],
        },
    )
    # A public-law CDD from 15 March 2021 to 30 June 2022 (its planned end: no early end to report).
    programme.call(
        "conventions",
        "POST",
        f"{path}/contracts",
        201,
        {
            "advisor_id": advisor["id"],
            "contract_type": "cdd",
            "start_date": "2021-03-15",
            "end_date": "2022-06-30",
            "weekly_hours": "35",
            "gross_monthly_salary": "1900.00",
            "signed_on": "2021-03-10",
        },
    )
    programme.relay()
    tranches = programme.call("payments", "GET", f"/schedules/{convention['id']}", 200, role="finance")[
        "tranches"
    ]
    programme.pay(tranches[0], date(2021, 3, 20))
    programme.pay(tranches[1], date(2022, 3, 5))
    programme.call("conventions", "POST", f"{path}/close", 200, {"on": END.isoformat(), "reason": "Terme"})
    programme.relay()
    return structure, convention


def bodies(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_recovery_issued_at_closing_is_mailed_to_the_structure_once_smtp_is_back(
    programme, smtp_port, tmp_path
):
    structure, convention = overpaid_convention_closed(programme)

    # Cantal, public, initial wave: 50 000,00 a post over 24 months, in tranches of 40 %, 40 %, 20 %:
    # 20 000,00 at the signature and 20 000,00 a year after, both paid: 40 000,00. The post is occupied
    # from March 2021 (month 1) to June 2022 (month 16): 50 000,00 × 16 ÷ 24 = 33 333,333… → 33 333,33.
    # Closing owes back 40 000,00 − 33 333,33 = 6 666,67, to pay within the 30 days the convention states
    # (convention.yaml, repayment_delay_days): by 28 February 2023 + 30 days = 30 March 2023.
    earned = (Decimal("50000.00") * 16 / 24).quantize(Decimal("0.01"))
    amount = Decimal("40000.00") - earned
    assert amount == Decimal("6666.67")
    pay_by = END + timedelta(days=30)
    assert pay_by == date(2023, 3, 30)
    [recovery] = [
        r
        for r in programme.call(
            "payments", "GET", f"/conventions/{convention['id']}/balance", 200, role="finance"
        )["recoveries"]
        if r["kind"] == "final_statement"
    ]
    reference = "CNR" + uuid.UUID(recovery["id"]).hex.upper()

    # SMTP is down: the order waits, pending, with the server's refusal.
    down = programme.send_alerts(date(2023, 3, 1))
    [waiting] = programme.alerts()
    assert down == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 1 en attente de SMTP"
    assert (waiting["kind"], waiting["kind_label"], waiting["status"], waiting["attempts"]) == (
        "recovery_order",
        "ordre de reversement",
        "pending",
        1,
    )
    assert "ConnectionRefusedError" in waiting["last_error"]

    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        back = programme.send_alerts(date(2023, 3, 2))
        again = programme.send_alerts(date(2023, 3, 2))
        [message] = smtp.messages()
    [sent] = programme.alerts()

    assert back == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert again == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 0 en attente de SMTP"
    assert (sent["status"], sent["attempts"], sent["message_id"]) == ("sent", 2, message["Message-ID"])
    assert waiting["message_id"] == sent["message_id"]
    assert sent["recovery"] == {
        "recovery_id": recovery["id"],
        "convention_id": convention["id"],
        "convention_reference": convention["reference"],
        "kind": "final_statement",
        "reason": "décompte final",
        "amount": "6666.67",
        "issued_on": "2023-02-28",
        "pay_by": "2023-03-30",
        "payment_reference": reference,
    }

    assert message["To"] == structure["email"] == "mediation-numerique@saint-flour.example"
    assert message["Cc"] is None
    assert message["Subject"] == (
        f"Ordre de reversement — convention {convention['reference']} : 6{NNBSP}666,67{NBSP}€ à reverser "
        "avant le 30 mars 2023"
    )
    text, html = bodies(message)
    assert f"Montant à reverser : 6{NNBSP}666,67{NBSP}€" in text
    assert "À verser avant le 30 mars 2023 (30 jours après l'émission de l'ordre)." in text
    assert "(décompte final), le 28 février 2023." in text
    assert f"Subvention acquise pour les mois de poste occupés : 33{NNBSP}333,33{NBSP}€" in text
    assert f"Déjà versé : 40{NNBSP}000,00{NBSP}€" in text
    assert "- IBAN : FR76 4003 1000 0100 0007 3987 465" in text
    assert "- BIC : CDCGFRPPXXX" in text
    assert "- Bénéficiaire : Caisse des depots et consignations" in text
    assert f"Référence à indiquer dans le libellé du virement : {reference}" in text
    # The web front's pages, through the sign-in (decision 0044): the order and the final statement.
    link = f"{WEB_BASE_URL}/ma-structure/ordres-de-reversement/{recovery['id']}.pdf"
    statement = f"{WEB_BASE_URL}/ma-structure/conventions/{convention['id']}/decompte-final.pdf"
    lines = text.splitlines()
    assert f"L'ordre de reversement (PDF) : {link}" in lines
    assert f"Le décompte final de la convention (PDF) : {statement}" in lines
    assert f'<a href="{link}">' in html and f'<a href="{statement}">' in html
    assert f"<strong>{reference}</strong>" in html

    [row] = programme.alerts_export()
    assert row["Nature"].value == "ordre de reversement"
    assert (row["Montant à reverser"].value, row["Montant à reverser"].data_type) == (float(amount), "n")
    assert row["À reverser avant le"].value == datetime(2023, 3, 30)
    assert (row["Référence du virement"].value, row["Statut"].value) == (reference, "envoyé")


def test_the_same_recovery_received_again_makes_no_second_e_mail(programme, smtp_port, tmp_path):
    overpaid_convention_closed(programme)
    issued = next(e for e in programme.delivered.values() if e["type"] == "recovery.issued")

    # The relay posts it again (a lost acknowledgement), then as another event of the same recovery.
    assert programme.post("compliance", issued) == "duplicate"
    again = {**issued, "id": str(uuid.uuid4()), "sequence": issued["sequence"] + 100}
    assert programme.post("compliance", again) == "processed"
    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        first = programme.send_alerts(date(2023, 3, 1))
        assert programme.post("compliance", {**issued, "id": str(uuid.uuid4())}) == "processed"
        second = programme.send_alerts(date(2023, 3, 2))
        received = smtp.messages()

    assert first == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert second == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 0 en attente de SMTP"
    assert len(received) == 1
    assert [(a["kind"], a["status"]) for a in programme.alerts()] == [("recovery_order", "sent")]
