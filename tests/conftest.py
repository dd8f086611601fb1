"""The three services on one backend with a small programme in them, made the way users and the relays make
it: a legal officer and a structure user through the conventions API, the events delivered from each
outbox to its consumers' `POST /api/v1/events` as the relays post them (under the producer's own `sub`).

Two structures: `mine` (Le Tampon, 974) with a signed convention of two posts, a draft avenant, an advisor
it registered, that advisor presented, selected and hired (a CDD), a CDI employee moved to the second post
(its employment-contract avenant), a countersigned copy; payments holds its schedule, compliance its
obligations and standing, with an exemption from initial training on the first contract. A second
convention of one post, never filled, its first tranche paid, is closed: its final statement and the
recovery of what was paid reach the conventions service (their documents). `theirs`
(Saint-Flour, 15) has nothing but itself: its user is the one asking for `mine`'s resources.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfWriter

from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, service_app
from compliance import create_app as create_compliance
from compliance.adapters.orm import event_tables as compliance_events
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import event_tables as payments_events
from payments.jobs import JOBS as PAYMENTS_JOBS
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

SERVICES = {
    "conventions": (create_conventions, CONVENTIONS_MIGRATIONS),
    "payments": (create_payments, PAYMENTS_MIGRATIONS),
    "compliance": (create_compliance, COMPLIANCE_MIGRATIONS),
}
_STRUCTURES = {fields["department"]: fields for fields in DEMO_STRUCTURES}


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@dataclass
class Programme:
    """The three apps and the ids of what was seeded in them (`ids` names them as the specs' paths do)."""

    apps: dict[str, Flask]
    mine: str = ""
    theirs: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    _delivered: set[tuple[str, str]] = field(default_factory=set)

    def call(self, service: str, method: str, path: str, expected: int, role: str = "legal", **options: Any):
        claims = {"structure_id": options.pop("structure_id")} if "structure_id" in options else {}
        sub = options.pop("sub", f"{role}-seed")
        headers = {**bearer(role, sub=sub, **claims), **options.pop("headers", {})}
        response = (
            self.apps[service].test_client().open(f"/api/v1{path}", method=method, headers=headers, **options)
        )
        assert response.status_code == expected, (method, path, response.get_json())
        return response.get_json()

    def relay(self) -> None:
        """Deliver every outbox's new events to their consumers, as each service's relay would."""
        for producer, tables in (
            ("conventions", conventions_events),
            ("compliance", compliance_events),
            ("payments", payments_events),
        ):
            for envelope in outbox_envelopes(self.apps[producer], tables):
                for consumer in consumers_of(envelope["type"]):
                    if (envelope["id"], consumer) in self._delivered:
                        continue
                    response = (
                        self.apps[consumer]
                        .test_client()
                        .post("/api/v1/events", json=envelope, headers=bearer("service", sub=producer))
                    )
                    assert response.status_code == 200, (envelope["type"], consumer, response.get_json())
                    self._delivered.add((envelope["id"], consumer))

    def seed(self) -> Programme:
        conventions = "conventions"
        self.mine = self.call(conventions, "POST", "/structures", 201, json=_STRUCTURES["974"])["id"]
        self.theirs = self.call(conventions, "POST", "/structures", 201, json=_STRUCTURES["15"])["id"]
        convention = self.call(
            conventions,
            "POST",
            "/conventions",
            201,
            json={
                "structure_id": self.mine,
                "wave": "initial",
                "posts": 2,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
        )["id"]
        self.call(
            conventions, "POST", f"/conventions/{convention}/sign", 200, json={"signed_on": "2021-03-15"}
        )
        as_mine = {"role": "structure", "structure_id": self.mine}
        advisors = [
            self.call(
                conventions,
                "POST",
                "/advisors",
                201,
                json={
                    "first_name": "Léa",
                    "last_name": f"Conseillère {number}",
                    "birth_date": "1990-05-04",
                    "email": f"lea{number}@example.org",
                },
                **as_mine,
            )["id"]
            for number in (1, 2)
        ]
        candidate = self.call(
            conventions,
            "POST",
            f"/conventions/{convention}/candidates",
            201,
            json={"advisor_id": advisors[0], "presented_on": "2021-03-20"},
        )["id"]
        self.call(
            conventions, "POST", f"/candidates/{candidate}/select", 200, json={"selected_on": "2021-03-25"}
        )
        contract = self.call(
            conventions,
            "POST",
            f"/conventions/{convention}/contracts",
            201,
            json={
                "advisor_id": advisors[0],
                "contract_type": "cdd",
                "start_date": "2021-04-01",
                "end_date": "2022-09-30",
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": "2021-04-01",
            },
        )["id"]
        moved = self.call(
            conventions,
            "POST",
            f"/conventions/{convention}/contracts",
            201,
            json={
                "advisor_id": advisors[1],
                "contract_type": "cdi",
                "existing_cdi_employee": True,
                "original_contract_start_date": "2019-09-02",
                "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
                "line_manager": "Josiane Grondin, directrice de la médiathèque",
                "classification": "adjoint territorial d'animation, échelon 4",
                "public_status": "contractuel",
                "start_date": "2021-05-01",
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": "2021-05-01",
            },
        )["id"]
        amendment = self.call(
            conventions,
            "POST",
            f"/conventions/{convention}/amendments",
            201,
            json={"posts": 3, "effective_date": "2022-01-01", "reason": "Un poste de plus"},
        )["id"]
        copy = self.call(
            conventions,
            "POST",
            f"/conventions/{convention}/signed-copy",
            201,
            data={"file": (io.BytesIO(blank_pdf()), "convention signée.pdf")},
            content_type="multipart/form-data",
        )["id"]
        self.relay()
        obligations = self.call(
            "compliance", "GET", f"/obligations?structure_id={self.mine}", 200, role="compliance"
        )
        self.call(
            "compliance",
            "POST",
            f"/contracts/{contract}/training-exemption",
            201,
            role="compliance",
            data={
                "qualification": "ccp1",
                "obtained_on": "2020-06-30",
                "file": (io.BytesIO(blank_pdf()), "ccp1.pdf"),
            },
            content_type="multipart/form-data",
        )
        self.relay()
        tranches = self.call("payments", "GET", f"/schedules/{convention}", 200, role="finance")["tranches"]
        closed, recovery = self._closed_convention()
        self.ids = {
            "structure_id": self.mine,
            "convention_id": convention,
            "amendment_id": amendment,
            "advisor_id": advisors[0],
            "candidate_id": candidate,
            "contract_id": contract,
            "moved_contract_id": moved,
            "copy_id": copy,
            "obligation_id": obligations[0]["id"],
            "tranche_id": tranches[0]["id"],
            "template_name": "convention",
            "consumer": "payments",
            "closed_convention_id": closed,
            "recovery_id": recovery,
        }
        return self

    def _closed_convention(self) -> tuple[str, str]:
        """A second convention of `mine`, of one post never filled, its first tranche paid and then closed:
        payments settles it (`final_statement.settled`) and claims back what was paid (`recovery.issued`),
        and the conventions service keeps both, for the statement's and the order's documents."""
        conventions = "conventions"
        closed = self.call(
            conventions,
            "POST",
            "/conventions",
            201,
            json={
                "structure_id": self.mine,
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
        )["id"]
        self.call(conventions, "POST", f"/conventions/{closed}/sign", 200, json={"signed_on": "2021-03-15"})
        self.relay()
        [first, *_] = self.call("payments", "GET", f"/schedules/{closed}", 200, role="finance")["tranches"]
        mark_due = next(job for job in PAYMENTS_JOBS if job.name == "mark_due")
        mark_due.function(self.apps["payments"].extensions["cnum"], date(2021, 3, 15))
        self.call(
            "payments", "POST", f"/tranches/{first['id']}/approve", 200, role="finance", sub="alice", json={}
        )
        self.call(
            "payments",
            "POST",
            f"/tranches/{first['id']}/pay",
            201,
            role="finance",
            sub="bruno",
            json={"paid_on": "2021-03-20", "reference": "VIR-SEED"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.call(
            conventions,
            "POST",
            f"/conventions/{closed}/close",
            200,
            json={"on": "2023-02-28", "reason": "Terme"},
        )
        self.relay()
        [recovery] = self.call(
            "payments", "GET", f"/recoveries?convention_id={closed}&kind=final_statement", 200, role="finance"
        )
        return closed, recovery["id"]


@contextmanager
def seeded_programme(
    backend: str, test_databases: TestDatabases, var_dir: Path, **conventions_settings: Any
) -> Iterator[Programme]:
    with ExitStack() as stack:
        apps = {}
        for name, (create_app, migrations) in SERVICES.items():
            url = test_databases.fresh(name, backend, migrations)
            settings = conventions_settings if name == "conventions" else {}
            apps[name] = stack.enter_context(service_app(create_app, url, var_dir / name, **settings))
        yield Programme(apps).seed()


@pytest.fixture(scope="session")
def seed_programme():
    """`with seed_programme(backend, test_databases, var_dir, **conventions_settings) as programme:`."""
    return seeded_programme


@pytest.fixture
def programme(db_backend: str, test_databases: TestDatabases, tmp_path: Path) -> Iterator[Programme]:
    """The seeded programme on the test's backend (PDF conversion unreachable: DOCX only)."""
    with seeded_programme(db_backend, test_databases, tmp_path, converter_url="http://127.0.0.1:9") as seeded:
        yield seeded
