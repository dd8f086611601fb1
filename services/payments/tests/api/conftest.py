"""Helpers of the payments API tests: the real conventions service produces the events payments consumes.

Structures, conventions, avenants and contracts are made through the conventions API as a legal officer
would, and the conventions outbox is delivered to payments' `POST /api/v1/events` exactly as the relay
posts it: payments' tests never hand-write what its producer says. The compliance standing is still
posted as compliance publishes it (see `standing`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.core.dates import add_months
from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, relay_bearer, service_app
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments.adapters.orm import event_tables as payments_events

#: The demo structures by department: 15 (QPV/ZRR) and 974 public, 94 private, 971 and 976 public.
STRUCTURES = {fields["department"]: fields for fields in DEMO_STRUCTURES}
_DETAILS = ("name", "kind", "department", "qpv_zrr", "email", "iban", "bic")


class Feed:
    """Drives the conventions service as a legal officer, delivers its events, and calls payments."""

    def __init__(self, app, conventions_app):
        self.app = app
        self.client = app.test_client()
        self.conventions = conventions_app
        self.clock = FixedClock(datetime(2026, 1, 10, 9, tzinfo=UTC))
        app.extensions["cnum"].clock = self.clock
        self._delivered: set[str] = set()
        #: Every envelope delivered so far, in order (a test may replay one).
        self.delivered: list[dict] = []
        #: The last sequence of the hand-made events of each producer (`event`).
        self._sequences: dict[str, int] = {}
        self._advisors = 0

    def on(self, day: date) -> None:
        """Set the payments service's clock to 9:00 UTC that day."""
        self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    # --- The producer: the conventions service, over its API ------------------------------------------

    def legal(self, method, path, expected, json=None):
        response = self.conventions.test_client().open(
            f"/api/v1{path}", method=method, json=json, headers=bearer("legal", sub="claire")
        )
        assert response.status_code == expected, response.get_json()
        return response.get_json()

    def deliver(self) -> list[dict]:
        """Post the conventions outbox's new events for payments, in order, as the relay would; and
        payments' own new events for conventions (what was settled of each tranche), as its relay would."""
        self.deliver_to_conventions()
        delivered = []
        for envelope in outbox_envelopes(self.conventions, conventions_events):
            if envelope["id"] in self._delivered or "payments" not in consumers_of(envelope["type"]):
                continue
            response = post_event(self.client, envelope)
            assert response.status_code == 200, response.get_json()
            self._delivered.add(envelope["id"])
            delivered.append(envelope)
        self.delivered.extend(delivered)
        return delivered

    def deliver_to_conventions(self) -> list[dict]:
        """Post payments' outbox's new events for conventions, in order, as payments' relay would."""
        delivered = []
        for envelope in outbox_envelopes(self.app, payments_events):
            if envelope["id"] in self._delivered or "conventions" not in consumers_of(envelope["type"]):
                continue
            response = post_event(self.conventions.test_client(), envelope)
            assert response.status_code == 200, response.get_json()
            self._delivered.add(envelope["id"])
            delivered.append(envelope)
        return delivered

    @staticmethod
    def service_headers(producer="conventions"):
        """The headers of a producer's relay (role `service`, `sub` its name)."""
        return relay_bearer(producer)

    def structure(self, department="974"):
        created = self.legal("POST", "/structures", 201, STRUCTURES[department])
        self.deliver()
        return {"id": created["id"], "details": {key: created[key] for key in _DETAILS}, **created}

    def convention(
        self,
        structure,
        *,
        wave="initial",
        posts=2,
        start=date(2021, 3, 1),
        months=None,
        signed_on=date(2021, 3, 15),
        predecessor=True,
    ):
        """A convention made and signed in the conventions service, then delivered to payments.

        A renewal continues an earlier convention of its structure (DESIGN §3): unless told otherwise,
        an initial-wave convention of one post, started 1 March 2021 and signed on the 15th, comes first.
        """
        public = structure["details"]["kind"] == "public"
        if wave == "renewal" and predecessor:
            self.convention(structure, posts=1, predecessor=False)
        if months is None:
            months = 36 if wave == "renewal" else (24 if public else 18)
        created = self.legal(
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structure["id"],
                "wave": wave,
                "posts": posts,
                "start_date": start.isoformat(),
                "duration_months": months,
            },
        )
        signed = self.legal(
            "POST", f"/conventions/{created['id']}/sign", 200, {"signed_on": signed_on.isoformat()}
        )
        self.deliver()
        return self._as_payments_sees_it(signed, structure)

    def _as_payments_sees_it(self, convention, structure):
        return {
            **convention,
            "convention_id": convention["id"],
            "structure": structure["details"],
        }

    def amend(self, convention, *, posts, effective_date, signed_on, reason="Avenant"):
        """A convention avenant drafted and signed in the conventions service; returns the avenant."""
        path = f"/conventions/{convention['convention_id']}/amendments"
        draft = self.legal(
            "POST",
            path,
            201,
            {"posts": posts, "effective_date": effective_date.isoformat(), "reason": reason},
        )
        signed = self.legal("POST", f"{path}/{draft['id']}/sign", 200, {"signed_on": signed_on.isoformat()})
        self.deliver()
        return signed

    def end_convention(self, convention, *, action="terminate", on, reason="Renonciation"):
        ended = self.legal(
            "POST",
            f"/conventions/{convention['convention_id']}/{action}",
            200,
            {"on": on.isoformat(), "reason": reason},
        )
        self.deliver()
        return ended

    def contract(self, convention, *, salary="1900.00", start=date(2021, 4, 1), end=None, signed_on=None):
        """An advisor hired on the convention (a CDD of 18 months unless `end` says otherwise)."""
        self._advisors += 1
        advisor = self.legal(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Conseiller",
                "last_name": f"Numéro {self._advisors}",
                "birth_date": "1990-05-04",
                "email": f"conseiller{self._advisors}@example.org",
                "structure_id": convention["structure_id"],
            },
        )
        contract = self.legal(
            "POST",
            f"/conventions/{convention['convention_id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": start.isoformat(),
                "end_date": (end or add_months(start, 18) - timedelta(days=1)).isoformat(),
                "weekly_hours": "35.00",
                "gross_monthly_salary": salary,
                "signed_on": (signed_on or start).isoformat(),
            },
        )
        self.deliver()
        return contract["id"]

    def end_contract(self, contract_id, *, ended_on, reason="resignation"):
        ended = self.legal(
            "POST", f"/contracts/{contract_id}/end", 200, {"ended_on": ended_on.isoformat(), "reason": reason}
        )
        self.deliver()
        return ended

    # --- Events of other producers, and payments' own API ----------------------------------------------

    def event(self, event_type, data, producer="conventions", *, sequence=None, occurred_at=None):
        """An envelope posted as is by its producer's relay, with that producer's next sequence unless
        told otherwise (for tests of the inbox itself, and compliance's standing)."""
        if sequence is None:
            sequence = self._sequences.get(producer, 0) + 1
        self._sequences[producer] = max(sequence, self._sequences.get(producer, 0))
        envelope = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": (
                occurred_at or datetime(2026, 1, 1, 0, 0, sequence % 60, sequence, tzinfo=UTC)
            ).isoformat(),
            "producer": producer,
            "sequence": sequence,
            "data": data,
        }
        response = post_event(self.client, envelope)
        assert response.status_code == 200, response.get_json()
        return envelope

    def standing(self, structure_id, *, overdue=(), as_of=date(2026, 1, 10), **envelope):
        """A standing as compliance publishes it (`sequence`, `occurred_at`: see `event`)."""
        return self.event(
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
            **envelope,
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

    def pay_tranche(self, tranche, on: date):
        """The tranche falls due, Alice approves it and Bruno pays it, on `on` (compliance clear)."""
        detail = self.call("GET", f"/tranches/{tranche['id']}", 200)
        self.standing(detail["structure_id"], as_of=on)
        self.run("mark_due", on)
        self.on(on)
        self.call("POST", f"/tranches/{tranche['id']}/approve", 200, {}, sub="alice")
        payment = self.call(
            "POST",
            f"/tranches/{tranche['id']}/pay",
            201,
            {"paid_on": on.isoformat(), "reference": f"VIR-{tranche['id'][:8]}"},
            sub="bruno",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.deliver_to_conventions()
        return payment


@pytest.fixture
def conventions_app(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    """The conventions service, on a fresh database of the same backend: the producer of the events."""
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path / "conventions") as app:
        yield app


@pytest.fixture
def feed(app, conventions_app):
    return Feed(app, conventions_app)


@pytest.fixture
def documented_feed(app, db_backend: str, test_databases: TestDatabases, tmp_path: Path, converter_url: str):
    """The same, with the conventions service wired to the session's PDF converter (its documents)."""
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(
        create_conventions, url, tmp_path / "conventions", converter_url=converter_url
    ) as conventions_app:
        yield Feed(app, conventions_app)


@pytest.fixture
def two_approved(feed):
    """Two structures, each with its first tranche approved on 10 January 2026."""
    approved = []
    for department in ("974", "15"):
        structure = feed.structure(department)
        convention = feed.convention(
            structure, wave="renewal", start=date(2024, 9, 1), months=36, signed_on=date(2024, 9, 1)
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
