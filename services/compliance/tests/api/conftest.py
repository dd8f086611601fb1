"""Helpers of the compliance API tests: the events conventions would send, a clock, a real SMTP server, and
the three services together (programme.py) for what payments' events e-mail."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.framework.mailsink import MailSink
from cnum_shared.testing import TestDatabases, bearer, free_port, post_event, service_app
from compliance import create_app

if TYPE_CHECKING:
    from services.compliance.tests.api.programme import Programme

STRUCTURE = {
    "name": "Commune du Tampon",
    "kind": "public",
    "department": "974",
    "qpv_zrr": False,
    "email": "inclusion@letampon.example",
    "iban": "FR7619806000000097443000114",
    "bic": "AGRIMQMX",
}


class Feed:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.clock = FixedClock(datetime(2026, 1, 10, 9, tzinfo=UTC))
        app.extensions["cnum"].clock = self.clock
        self._sequence = 0

    def on(self, day: date) -> None:
        self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    def event(self, event_type, data, *, sequence=None, occurred_at=None):
        """An event as conventions' relay posts it: its identity, its next sequence unless told otherwise."""
        if sequence is None:
            sequence = self._sequence + 1
        self._sequence = max(sequence, self._sequence)
        envelope = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": (occurred_at or datetime(2026, 1, 1, 0, 0, 0, sequence, tzinfo=UTC)).isoformat(),
            "producer": "conventions",
            "sequence": sequence,
            "data": data,
        }
        response = post_event(self.client, envelope)
        assert response.status_code == 200, response.get_json()
        return envelope

    def convention(
        self, signed_on=date(2024, 9, 2), end=date(2027, 9, 1), posts=1, start=date(2024, 9, 2), **extra
    ):
        # One post by default: the contract the tests sign fills it, so that the post's candidate
        # presentation (due 3 months after the signature) weighs only on the tests about it.
        data = {
            "convention_id": str(uuid.uuid4()),
            "structure_id": str(uuid.uuid4()),
            "reference": "CNUM-2024-TEST",
            "structure": STRUCTURE,
            "wave": "renewal",
            "posts": posts,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "duration_months": 36,
            "funded_months": 36,
            "signed_on": signed_on.isoformat(),
            "amount_per_post": "42500.00",
            "total_amount": f"{42500 * posts}.00",
            "tranches": [{"number": 1, "due_on": signed_on.isoformat(), "amount": f"{17500 * posts}.00"}],
            "funding_periods": [
                {
                    "number": 1,
                    "starts_on": "2024-09-02",
                    "ends_on": "2025-09-01",
                    "months": 12,
                    "amount_per_post": "17500.00",
                    "monthly_rate": "1458.33",
                }
            ],
            **extra,
        }
        self.event("convention.signed", data)
        return data

    def candidate(self, convention, presented_on, selected_on=None, advisor_id=None):
        candidate_id = str(uuid.uuid4())
        data = {
            "candidate_id": candidate_id,
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "advisor_id": advisor_id or str(uuid.uuid4()),
            "presented_on": presented_on.isoformat(),
            "selected_on": None,
            "structure": STRUCTURE,
        }
        self.event("candidate.presented", data)
        if selected_on:
            self.event("candidate.selected", {**data, "selected_on": selected_on.isoformat()})
        return candidate_id

    def contract(
        self,
        convention,
        signed_on=date(2026, 1, 5),
        start=date(2026, 1, 5),
        end=date(2027, 12, 31),
        advisor_id=None,
        contract_type="cdd",
    ):
        contract_id = str(uuid.uuid4())
        self.event(
            "contract.signed",
            {
                "contract_id": contract_id,
                "convention_id": convention["convention_id"],
                "structure_id": convention["structure_id"],
                "advisor_id": advisor_id or str(uuid.uuid4()),
                "contract_type": contract_type,
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else None,
                "weekly_hours": "35",
                "gross_monthly_salary": "1900.00",
                "signed_on": signed_on.isoformat(),
                "existing_cdi_employee": False,
                "structure": STRUCTURE,
            },
        )
        return contract_id

    def amended(self, convention, number, posts_before, posts, signed_on, effective_date):
        """A convention avenant as conventions announces it (`convention.amended`)."""
        return self.event(
            "convention.amended",
            {
                "convention_id": convention["convention_id"],
                "structure_id": convention["structure_id"],
                "reference": convention["reference"],
                "structure": STRUCTURE,
                "amendment_id": str(uuid.uuid4()),
                "number": number,
                "posts_before": posts_before,
                "posts": posts,
                "effective_date": effective_date.isoformat(),
                "signed_on": signed_on.isoformat(),
                "total_amount": f"{42500 * posts}.00",
                "reason": "avenant de test",
                "tranches": [{"number": 1, "due_on": "2024-09-02", "amount": f"{17500 * posts}.00"}],
                "funding_periods": [
                    {
                        "number": 1,
                        "starts_on": "2024-09-02",
                        "ends_on": "2025-09-01",
                        "months": 12,
                        "amount_per_post": "17500.00",
                        "monthly_rate": "1458.33",
                    }
                ],
            },
        )

    def contract_ended(self, convention, contract_id, ended_on, reason="resignation"):
        self.event(
            "contract.ended",
            {
                "contract_id": contract_id,
                "convention_id": convention["convention_id"],
                "structure_id": convention["structure_id"],
                "ended_on": ended_on.isoformat(),
                "reason": reason,
            },
        )

    def training(self, contract_id, kind, day, hours=None, expected=201):
        body = {"contract_id": contract_id, "kind": kind, "date": day.isoformat()}
        if hours is not None:
            body["hours"] = hours
        return self.call("POST", "/training-records", expected, body)

    def upload(self, path, fields, content, name="justificatif.pdf", role="compliance", **claims):
        """A multipart POST (`file` and form fields), answered as a Flask response."""
        return self.client.post(
            f"/api/v1{path}",
            data={**fields, "file": (io.BytesIO(content), name)},
            headers=bearer(role, **claims),
            content_type="multipart/form-data",
        )

    def run(self, job, as_of):
        from compliance.jobs import JOBS

        return next(j for j in JOBS if j.name == job).function(self.app.extensions["cnum"], as_of)

    def call(self, method, path, expected, json=None, role="compliance", **claims):
        response = self.client.open(
            f"/api/v1{path}", method=method, json=json, headers=bearer(role, **claims)
        )
        assert response.status_code == expected, response.get_json()
        return response.get_json()

    def obligations(self, **query):
        params = "&".join(f"{key}={value}" for key, value in query.items())
        return self.call("GET", f"/obligations?page_size=100&{params}", 200)

    def by_kind(self, kind):
        return [o for o in self.obligations() if o["kind"] == kind]


@pytest.fixture
def smtp(tmp_path):
    with MailSink(tmp_path / "mail") as sink:
        yield sink


@pytest.fixture
def smtp_port_down():
    """A port where no SMTP server listens (yet)."""
    return free_port()


@pytest.fixture
def mailed_app(database_url, tmp_path, smtp):
    with service_app(create_app, database_url, tmp_path, smtp_port=smtp.port) as app:
        yield app


@pytest.fixture
def feed(mailed_app):
    return Feed(mailed_app)


@pytest.fixture
def feed_for():
    """`feed_for(app)`: the same helper for an app a test builds itself."""
    return Feed


@pytest.fixture
def smtp_port() -> int:
    """Where the SMTP server listens once a test starts it (nothing listens there before)."""
    return free_port()


@pytest.fixture
def programme(
    db_backend: str, test_databases: TestDatabases, tmp_path: Path, smtp_port: int
) -> Iterator[Programme]:
    """The three services on one backend (programme.py), compliance mailing to `smtp_port`."""
    # Imported here: programme.py reads exports with test_exports, which imports this module.
    from services.compliance.tests.api.programme import running_programme

    with running_programme(db_backend, test_databases, tmp_path, smtp_port) as running:
        yield running
