"""The three services on one backend, as the tests of what payments' events e-mail the structures use them
(recovery orders, final statements): a legal officer makes, signs and closes a convention through the
conventions API, finance officers pay through the payments API, and every outbox is delivered to its
consumers' `POST /api/v1/events` as the relays post them. The fixtures `programme` and `smtp_port` are in
conftest.py.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from cnum_shared.core.clock import FixedClock
from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
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


@contextmanager
def running_programme(
    db_backend: str, test_databases: TestDatabases, tmp_path: Path, smtp_port: int
) -> Iterator[Programme]:
    """The three services on fresh databases of `db_backend`, compliance mailing to `smtp_port`."""

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


def closed_convention(
    programme: Programme, *, contract_end: date, closed_on: date = END, approve_last_on: date | None = None
) -> tuple[dict, dict]:
    """Saint-Flour (Cantal, public), one post held by a CDD from 15 March 2021 to `contract_end` (its
    planned end), tranches 1 and 2 paid, the last one approved on `approve_last_on` if given (then in
    payment, not paid), the convention closed on `closed_on`. Returns the structure and the convention."""
    structure = programme.call("conventions", "POST", "/structures", 201, DEMO_STRUCTURES[0])
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
    programme.call(
        "conventions",
        "POST",
        f"{path}/contracts",
        201,
        {
            "advisor_id": advisor["id"],
            "contract_type": "cdd",
            "start_date": "2021-03-15",
            "end_date": contract_end.isoformat(),
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
    if approve_last_on is not None:
        programme.job("payments", "mark_due", approve_last_on)
        programme.on(approve_last_on)
        programme.call(
            "payments", "POST", f"/tranches/{tranches[2]['id']}/approve", 200, {}, role="finance", sub="alice"
        )
    programme.call(
        "conventions", "POST", f"{path}/close", 200, {"on": closed_on.isoformat(), "reason": "Terme"}
    )
    programme.relay()
    return structure, convention


def overpaid_convention_closed(programme: Programme) -> tuple[dict, dict]:
    """Saint-Flour (Cantal, public), one post: tranches 1 and 2 paid, its advisor's CDD ended on
    30 June 2022, before the convention's end, the convention closed at its end. Returns the structure
    and the convention."""
    return closed_convention(programme, contract_end=date(2022, 6, 30))


def bodies(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
