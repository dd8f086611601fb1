"""Helpers of the payments API tests: events fed to POST /api/v1/events as the relay would, a clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cnum_shared import legal
from cnum_shared.clock import FixedClock
from cnum_shared.dates import add_months
from cnum_shared.territories import territory
from cnum_shared.testing import bearer

STRUCTURES = {
    "974": ("Commune du Tampon", "public", "21974222800014", "FR7619806000000097443000114", "AGRIMQMX"),
    "976": ("Commune de Mamoudzou", "public", "21976011300015", "FR7630001000000097660001028", "BDFEFRPP"),
    "94": (
        "Association Lien numérique",
        "private",
        "77566202600027",
        "FR7642559000001000008000124",
        "CCOPFRPP",
    ),
    "15": ("Commune de Saint-Flour", "public", "21150187900012", "FR7630001000000000001510029", "BDFEFRPP"),
}


class Feed:
    """Sends the events the other services would send, and calls the API as officers."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.clock = FixedClock(datetime(2026, 1, 10, 9, tzinfo=UTC))
        app.extensions["cnum"].clock = self.clock
        self._sequence = 0

    def on(self, day: date) -> None:
        """Set the service's clock to 9:00 UTC that day."""
        self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    def event(self, event_type, data, producer="conventions"):
        self._sequence += 1
        envelope = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": datetime(
                2026, 1, 1, 0, 0, self._sequence % 60, self._sequence, tzinfo=UTC
            ).isoformat(),
            "producer": producer,
            "data": data,
        }
        response = self.client.post("/api/v1/events", json=envelope, headers=bearer("service"))
        assert response.status_code == 200, response.get_json()
        return envelope

    def structure(self, department="974"):
        name, kind, siret, iban, bic = STRUCTURES[department]
        structure_id = str(uuid.uuid4())
        details = {
            "name": name,
            "kind": kind,
            "department": department,
            "qpv_zrr": False,
            "email": "contact@example.org",
            "iban": iban,
            "bic": bic,
        }
        self.event(
            "structure.updated",
            {
                "structure_id": structure_id,
                "siret": siret,
                "structure_type": "commune" if kind == "public" else "association",
                "address": "1 place de la Mairie",
                "postcode": "97430" if department == "974" else "97600",
                "city": "Ville",
                **details,
            },
        )
        return {"id": structure_id, "details": details}

    def convention(
        self,
        structure,
        *,
        wave="initial",
        posts=2,
        start=date(2021, 3, 1),
        months=24,
        signed_on=date(2021, 3, 15),
        qpv_zrr=False,
    ):
        """`convention.signed` with the amounts the conventions service computes from the parameters."""
        kind = structure["details"]["kind"]
        place = territory(structure["details"]["department"])
        plan = legal.tranche_plan(wave, kind, place, months, qpv_zrr, start)
        per_post = legal.subsidy_per_post(wave, kind, place, months, qpv_zrr, start)
        convention_id = str(uuid.uuid4())
        data = {
            "convention_id": convention_id,
            "structure_id": structure["id"],
            "reference": f"CNUM-{convention_id[:8]}",
            "structure": structure["details"],
            "wave": wave,
            "posts": posts,
            "start_date": start.isoformat(),
            "end_date": (add_months(start, months)).isoformat(),
            "duration_months": months,
            "funded_months": legal.funded_months(wave, kind, months, start),
            "signed_on": signed_on.isoformat(),
            "amount_per_post": str(per_post),
            "total_amount": str(per_post * posts),
            "tranches": [
                {
                    "number": t.number,
                    "amount": str(t.amount_for(posts)),
                    "due_on": (
                        signed_on if t.number == 1 else add_months(start, t.offset_months)
                    ).isoformat(),
                }
                for t in plan
            ],
        }
        self.event("convention.signed", data)
        return data

    def contract(self, convention, *, salary="1900.00", start=date(2021, 4, 1), end=None, signed_on=None):
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
                "gross_monthly_salary": salary,
                "signed_on": (signed_on or start).isoformat(),
                "existing_cdi_employee": False,
                "structure": convention["structure"],
            },
        )
        return contract_id

    def standing(self, structure_id, *, overdue=(), as_of=date(2026, 1, 10)):
        self.event(
            "structure.standing_changed",
            {
                "structure_id": structure_id,
                "blocking": bool(overdue),
                "overdue": [
                    {"obligation_id": str(uuid.uuid4()), "kind": kind, "due_on": due.isoformat()}
                    for kind, due in overdue
                ],
                "as_of": as_of.isoformat(),
            },
            producer="compliance",
        )

    def run(self, job, as_of):
        from payments.jobs import JOBS

        context = self.app.extensions["cnum"]
        return next(j for j in JOBS if j.name == job).function(context, as_of)

    def call(self, method, path, expected, json=None, role="finance", headers=None, **claims):
        response = self.client.open(
            f"/api/v1{path}", method=method, json=json, headers={**bearer(role, **claims), **(headers or {})}
        )
        assert response.status_code == expected, response.get_json()
        return response.get_json()

    def tranches(self, convention):
        return self.call("GET", f"/schedules/{convention['convention_id']}", 200)["tranches"]


@pytest.fixture
def feed(app):
    return Feed(app)


@pytest.fixture
def two_approved(feed):
    """Two structures, each with its first tranche approved on 10 January 2026."""
    approved = []
    for department in ("974", "15"):
        structure = feed.structure(department)
        convention = feed.convention(
            structure, wave="renewal", start=date(2025, 9, 1), months=36, signed_on=date(2025, 9, 1)
        )
        feed.standing(structure["id"])
        approved.append(feed.tranches(convention)[0])
    feed.run("mark_due", date(2026, 1, 10))
    feed.on(date(2026, 1, 10))
    for tranche in approved:
        feed.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
    return approved


def money(value):
    return str(Decimal(value).quantize(Decimal("0.01")))
