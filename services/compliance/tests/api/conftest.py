"""Helpers of the compliance API tests: the events conventions would send, a clock, a real SMTP server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from cnum_shared.clock import FixedClock
from cnum_shared.mailsink import MailSink
from cnum_shared.testing import bearer, free_port, service_app
from compliance import create_app

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

    def event(self, event_type, data):
        self._sequence += 1
        envelope = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": datetime(2026, 1, 1, 0, 0, 0, self._sequence, tzinfo=UTC).isoformat(),
            "producer": "conventions",
            "data": data,
        }
        response = self.client.post("/api/v1/events", json=envelope, headers=bearer("service"))
        assert response.status_code == 200, response.get_json()
        return envelope

    def convention(self, signed_on=date(2025, 9, 1), end=date(2028, 8, 31)):
        data = {
            "convention_id": str(uuid.uuid4()),
            "structure_id": str(uuid.uuid4()),
            "reference": "CNUM-2025-TEST",
            "structure": STRUCTURE,
            "wave": "renewal",
            "posts": 2,
            "start_date": "2025-09-01",
            "end_date": end.isoformat(),
            "duration_months": 36,
            "funded_months": 36,
            "signed_on": signed_on.isoformat(),
            "amount_per_post": "42500.00",
            "total_amount": "85000.00",
            "tranches": [{"number": 1, "due_on": signed_on.isoformat(), "amount": "35000.00"}],
            "funding_periods": [
                {
                    "number": 1,
                    "starts_on": "2025-09-01",
                    "ends_on": "2026-08-31",
                    "months": 12,
                    "amount_per_post": "17500.00",
                    "monthly_rate": "1458.33",
                }
            ],
        }
        self.event("convention.signed", data)
        return data

    def candidate(self, convention, presented_on, selected_on=None):
        candidate_id = str(uuid.uuid4())
        data = {
            "candidate_id": candidate_id,
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "advisor_id": str(uuid.uuid4()),
            "presented_on": presented_on.isoformat(),
            "selected_on": None,
            "structure": STRUCTURE,
        }
        self.event("candidate.presented", data)
        if selected_on:
            self.event("candidate.selected", {**data, "selected_on": selected_on.isoformat()})
        return candidate_id

    def contract(
        self, convention, signed_on=date(2026, 1, 5), start=date(2026, 1, 5), end=date(2027, 12, 31)
    ):
        contract_id = str(uuid.uuid4())
        self.event(
            "contract.signed",
            {
                "contract_id": contract_id,
                "convention_id": convention["convention_id"],
                "structure_id": convention["structure_id"],
                "advisor_id": str(uuid.uuid4()),
                "contract_type": "cdd",
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
