"""Closing in bulk (issue 18 point 3, decision 0035): every convention whose funding ends in a period, closed
by the `run_closing_runs` job one by one, through the real conventions and payments services.

The conventions are made through the conventions API as a legal officer would; each outbox is delivered to
its consumers' `POST /api/v1/events` as the relays post it: payments settles each closed convention and
sends its final statement back (`final_statement.settled`), which the run's summary reads."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from importlib import import_module
from pathlib import Path

import pytest

from cnum_shared.core.clock import FixedClock
from cnum_shared.core.wire import consumers_of
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
from conventions import create_app as create_conventions
from conventions.adapters.orm import event_tables as conventions_events
from conventions.demo import DEMO_STRUCTURES, load_demo
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import event_tables as payments_events
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

STRUCTURES = {fields["department"]: fields for fields in DEMO_STRUCTURES}
#: The day the officers work in the story: mid-2026, the year most conventions end.
TODAY = date(2026, 7, 1)
YEAR = {"funding_ends_from": "2026-01-01", "funding_ends_to": "2026-12-31"}


class Services:
    """The conventions and payments services on one backend, each outbox delivered as its relay would."""

    def __init__(self, conventions, payments) -> None:
        self.apps = {"conventions": conventions, "payments": payments}
        self.clocks = {name: FixedClock(datetime(2026, 7, 1, 9, tzinfo=UTC)) for name in self.apps}
        for name, app in self.apps.items():
            app.extensions["cnum"].clock = self.clocks[name]
        self._delivered: set[tuple[str, str]] = set()
        self._standings = 0

    def on(self, day: date) -> None:
        for clock in self.clocks.values():
            clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    def call(self, method, path, expected, json=None, role="legal", service="conventions", **claims):
        response = (
            self.apps[service]
            .test_client()
            .open(f"/api/v1{path}", method=method, json=json, headers=bearer(role, **claims))
        )
        assert response.status_code == expected, (method, path, response.get_json())
        return response.get_json()

    def deliver(self) -> None:
        """Both outboxes to their consumers, until neither has anything new (payments answers closings)."""
        while True:
            delivered = 0
            for producer, tables, consumer in (
                ("conventions", conventions_events, "payments"),
                ("payments", payments_events, "conventions"),
            ):
                for envelope in outbox_envelopes(self.apps[producer], tables):
                    key = (envelope["id"], consumer)
                    if key in self._delivered or consumer not in consumers_of(envelope["type"]):
                        continue
                    response = post_event(self.apps[consumer].test_client(), envelope)
                    assert response.status_code == 200, response.get_json()
                    self._delivered.add(key)
                    delivered += 1
            if not delivered:
                return

    def run_job(
        self, today: date = TODAY, service: str = "conventions", job: str = "run_closing_runs"
    ) -> str:
        """A job of the service's scheduler, as it runs on `today` (conventions' `run_closing_runs`: close
        the queued runs, then zip the statements of those whose statements are all in)."""
        jobs = import_module(f"{service}.jobs").JOBS
        context = self.apps[service].extensions["cnum"]
        return next(entry for entry in jobs if entry.name == job).function(context, today)

    def pay_first_tranche(self, convention, on: date) -> dict:
        """Tranche 1 falls due, Alice approves it and Bruno pays it on `on`, compliance's standing of the
        structure clear (posted as compliance's relay posts it)."""
        self._standings += 1
        standing = {
            "id": str(uuid.uuid4()),
            "type": "structure.standing_changed",
            "version": 1,
            "occurred_at": datetime(2023, 1, 1, tzinfo=UTC).isoformat(),
            "producer": "compliance",
            "sequence": self._standings,
            "data": {
                "structure_id": convention["structure_id"],
                "blocking": False,
                "overdue": [],
                "as_of": on.isoformat(),
            },
        }
        assert post_event(self.apps["payments"].test_client(), standing).status_code == 200
        self.clocks["payments"].set(datetime(on.year, on.month, on.day, 9, tzinfo=UTC))
        self.run_job(on, "payments", "mark_due")
        tranche = self.call("GET", f"/schedules/{convention['id']}", 200, role="finance", service="payments")[
            "tranches"
        ][0]
        self.call(
            "POST",
            f"/tranches/{tranche['id']}/approve",
            200,
            {},
            role="finance",
            service="payments",
            sub="alice",
        )
        response = (
            self.apps["payments"]
            .test_client()
            .post(
                f"/api/v1/tranches/{tranche['id']}/pay",
                json={"paid_on": on.isoformat(), "reference": f"VIR-{tranche['id'][:8]}"},
                headers={**bearer("finance", sub="bruno"), "Idempotency-Key": str(uuid.uuid4())},
            )
        )
        assert response.status_code == 201, response.get_json()
        self.clocks["payments"].set(self.clocks["conventions"].now())
        self.deliver()
        return tranche

    def hire_for_the_whole_convention(self, convention) -> None:
        """An advisor of the structure on a CDD from the convention's first day to its last."""
        advisor = self.call(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Conseiller",
                "last_name": "Payet",
                "birth_date": "1990-05-04",
                "email": "conseiller.payet@example.org",
                "structure_id": convention["structure_id"],
            },
        )
        self.call(
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": convention["start_date"],
                "end_date": convention["end_date"],
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": convention["start_date"],
            },
        )

    def structure(self, department):
        return self.call("POST", "/structures", 201, STRUCTURES[department])

    def renewal(self, structure, start: str, posts: int = 1):
        """A renewal of 36 months from `start`, signed on its first day, after the initial convention its
        structure signed in 2021 (DESIGN §3: a renewal continues an earlier convention)."""
        initial_months = 24 if structure["kind"] == "public" else 18
        initial = self.call(
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structure["id"],
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": initial_months,
            },
        )
        self.call("POST", f"/conventions/{initial['id']}/sign", 200, {"signed_on": "2021-03-15"})
        created = self.call(
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structure["id"],
                "wave": "renewal",
                "posts": posts,
                "start_date": start,
                "duration_months": 36,
            },
        )
        return self.call("POST", f"/conventions/{created['id']}/sign", 200, {"signed_on": start})

    def closed_events(self, convention_id: str) -> list[dict]:
        return [
            envelope
            for envelope in outbox_envelopes(self.apps["conventions"], conventions_events)
            if envelope["type"] == "convention.closed" and envelope["data"]["convention_id"] == convention_id
        ]


@pytest.fixture
def services(
    db_backend: str, test_databases: TestDatabases, tmp_path: Path, converter_url: str
) -> Iterator[Services]:
    """Conventions (with the session's PDF converter: the statements' archive) and payments."""
    conventions_url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    payments_url = test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS)
    with (
        service_app(
            create_conventions, conventions_url, tmp_path / "conventions", converter_url=converter_url
        ) as conventions,
        service_app(create_payments, payments_url, tmp_path / "payments") as payments,
    ):
        yield Services(conventions, payments)


@pytest.fixture
def year(services):
    """Four renewals of one post whose funding ends in 2026, each of a different fate, and one ending in
    2027:

    - `ended` (Le Tampon, public): ends 28 February 2026, to close; its post filled for the whole
      convention, its first tranche paid in July 2023;
    - `closed` (Saint-Flour, public in a rural zone): ends 31 May 2026, its first tranche paid, its post
      never filled; closed by a legal officer before the run;
    - `running` (Val-de-Marne, private): ends 30 September 2026, after today (1 July): not yet ended;
      nothing paid, its post never filled;
    - `terminated` (Sainte-Anne): ends 31 March 2026, terminated after the launch and before the job:
      closing it fails, for a real reason (the convention state machine refuses it);
    - `later` (Mamoudzou): ends 31 August 2027, outside the period."""
    conventions = {
        "ended": services.renewal(services.structure("974"), "2023-03-01"),
        "closed": services.renewal(services.structure("15"), "2023-06-01"),
        "running": services.renewal(services.structure("94"), "2023-10-01"),
        "terminated": services.renewal(services.structure("971"), "2023-04-01"),
        "later": services.renewal(services.structure("976"), "2024-09-01"),
    }
    services.hire_for_the_whole_convention(conventions["ended"])
    services.deliver()
    services.pay_first_tranche(conventions["ended"], date(2023, 7, 3))
    services.pay_first_tranche(conventions["closed"], date(2023, 7, 3))
    closed = conventions["closed"]
    services.call(
        "POST", f"/conventions/{closed['id']}/close", 200, {"on": closed["end_date"], "reason": "Terme"}
    )
    return conventions


def test_a_closing_run_closes_what_has_ended_counts_the_rest_and_reports_a_failure(services, year):
    assert [year[name]["end_date"] for name in ("ended", "closed", "running", "terminated", "later")] == [
        "2026-02-28",
        "2026-05-31",
        "2026-09-30",
        "2026-03-31",
        "2027-08-31",
    ]
    launched = services.call("POST", "/closing-runs", 202, YEAR, role="finance", sub="alice")
    assert (launched["status"], launched["total"], launched["progress"]) == ("queued", 4, 0)
    assert launched["counts"]["pending"] == 4
    assert launched["requested_by"] == "alice"
    services.call("GET", f"/closing-runs/{launched['id']}/archive", 409, role="finance")

    terminated = year["terminated"]
    services.call(
        "POST",
        f"/conventions/{terminated['id']}/terminate",
        200,
        {"on": "2026-03-01", "reason": "Renonciation"},
    )
    services.run_job()

    run = services.call("GET", f"/closing-runs/{launched['id']}", 200, role="finance")
    assert (run["status"], run["done"], run["failed"], run["progress"]) == ("done", 3, 1, 100)
    assert run["counts"] == {
        "total": 4,
        "pending": 0,
        "closed": 1,
        "already_closed": 1,
        "not_ended": 1,
        "failed": 1,
        "statements_expected": 2,
        "statements_received": 0,
    }
    assert run["failures"] == [
        {
            "convention_id": terminated["id"],
            "reference": terminated["reference"],
            "end_date": "2026-03-31",
            "error": "Impossible de clôturer une convention résiliée.",
        }
    ]
    assert [(line["reference"], line["end_date"]) for line in run["not_yet_ended"]] == [
        (year["running"]["reference"], "2026-09-30")
    ]
    ended = services.call("GET", f"/conventions/{year['ended']['id']}", 200)
    assert (ended["status"], ended["ended_on"], ended["end_reason"]) == (
        "closed",
        "2026-02-28",
        "clôture de fin de financement",
    )
    for name, status in (("running", "signed"), ("later", "signed"), ("terminated", "terminated")):
        assert services.call("GET", f"/conventions/{year[name]['id']}", 200)["status"] == status
    # Settlement is asynchronous: the summary says how many statements are still awaited.
    assert run["summary"]["awaited"] == 2
    refused = services.call("GET", f"/closing-runs/{launched['id']}/archive", 409, role="finance")
    assert refused["message"] == (
        "2 décomptes sont encore attendus du service des paiements (sur 2) : l'archive sera prête quand "
        "ils seront tous arrivés."
    )

    # The same period again: the same run, relaunched for its failure alone (the running convention has
    # not ended yet); the failure fails again, nothing is closed twice.
    again = services.call("POST", "/closing-runs", 202, YEAR, role="finance")
    assert (again["id"], again["status"], again["counts"]["pending"], again["failed"]) == (
        launched["id"],
        "queued",
        1,
        0,
    )
    while_queued = services.call("POST", "/closing-runs", 200, YEAR, role="finance")
    assert (while_queued["id"], while_queued["status"]) == (launched["id"], "queued")
    services.run_job()
    run = services.call("GET", f"/closing-runs/{launched['id']}", 200, role="finance")
    assert (run["done"], run["failed"], run["counts"]["closed"], run["counts"]["not_ended"]) == (3, 1, 1, 1)
    assert len(services.closed_events(year["ended"]["id"])) == 1
    assert len(services.closed_events(year["closed"]["id"])) == 1  # its own closing, by hand

    # In October the running convention has ended: the period relaunched takes it and the failure again.
    services.on(date(2026, 10, 1))
    relaunched = services.call("POST", "/closing-runs", 202, YEAR, role="legal")
    assert (relaunched["id"], relaunched["status"], relaunched["counts"]["pending"]) == (
        launched["id"],
        "queued",
        2,
    )
    assert (relaunched["done"], relaunched["failed"]) == (2, 0)
    services.run_job(date(2026, 10, 1))
    run = services.call("GET", f"/closing-runs/{launched['id']}", 200, role="auditor")
    assert (run["counts"]["closed"], run["counts"]["already_closed"], run["counts"]["not_ended"]) == (2, 1, 0)
    assert (run["counts"]["failed"], run["not_yet_ended"], run["progress"]) == (1, [], 100)
    running = services.call("GET", f"/conventions/{year['running']['id']}", 200)
    assert (running["status"], running["ended_on"]) == ("closed", "2026-09-30")
    for name in ("ended", "closed", "running"):
        assert len(services.closed_events(year[name]["id"])) == 1, name

    # Payments settles the three closed conventions and sends their statements back.
    services.deliver()
    run = services.call("GET", f"/closing-runs/{launched['id']}", 200, role="finance")
    assert (run["counts"]["statements_expected"], run["counts"]["statements_received"]) == (3, 3)
    # By hand, from the parameters (renewal.yaml, yearly amounts per post) and DESIGN §4's clawback:
    # - Le Tampon, public: 17 500 + 12 500 + 12 500 = 42 500 € granted; its post occupied all 36 months
    #   earned each year's amount whole (12 months × amount ÷ 12): 42 500 €; paid tranche 1, 17 500 €;
    #   tranches 2 and 3 cancelled at closing: 42 500 − 17 500 = 25 000 € to pay;
    # - Saint-Flour, public in a rural zone: 20 000 + 17 500 + 12 500 = 50 000 € granted; no post filled,
    #   earned 0; paid tranche 1, 20 000 €: 0 − 20 000 = 20 000 € to recover;
    # - Val-de-Marne, private: nothing earned, nothing paid: nothing to settle.
    assert run["summary"] == {
        "to_pay": {"conventions": 1, "amount": "25000.00"},
        "to_recover": {"conventions": 1, "amount": "20000.00"},
        "nothing": 1,
        "awaited": 0,
    }
    # The summary is payments' figures: each statement's settlement as payments states it.
    settled = {
        name: services.call(
            "GET", f"/conventions/{year[name]['id']}/final-statement", 200, role="finance", service="payments"
        )
        for name in ("ended", "closed", "running")
    }
    assert [(settled[name]["earned"], settled[name]["paid"]) for name in ("ended", "closed", "running")] == [
        ("42500.00", "17500.00"),
        ("0.00", "20000.00"),
        ("0.00", "0.00"),
    ]
    assert [
        [(item["kind"], item["amount"]) for item in settled[name]["settlements"]]
        for name in ("ended", "closed", "running")
    ] == [[("payment", "25000.00")], [("recovery", "20000.00")], []]

    # The archive: written by the job once every statement is in.
    services.call("GET", f"/closing-runs/{launched['id']}/archive", 409, role="finance")
    assert "archive des décomptes écrite" in services.run_job(date(2026, 10, 1))
    response = (
        services.apps["conventions"]
        .test_client()
        .get(f"/api/v1/closing-runs/{launched['id']}/archive", headers=bearer("finance"))
    )
    assert (response.status_code, response.mimetype) == (200, "application/zip")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        references = [year[name]["reference"] for name in ("ended", "closed", "running")]
        assert names == ["synthese.csv", *(f"decompte-{reference}.pdf" for reference in references)]
        assert all(archive.read(name).startswith(b"%PDF") for name in names[1:])
        rows = list(
            csv.DictReader(io.StringIO(archive.read("synthese.csv").decode("utf-8-sig")), delimiter=";")
        )
    assert [
        (
            row["Convention"],
            row["Clôture"],
            row["Acquis"],
            row["Versé"],
            row["À régler"],
            row["Montant réglé"],
        )
        for row in rows
    ] == [
        (references[0], "clôturée", "42500,00", "17500,00", "à payer", "25000,00"),
        (references[1], "déjà clôturée", "0,00", "20000,00", "à reverser", "20000,00"),
        (references[2], "clôturée", "0,00", "0,00", "rien", "0,00"),
    ]
    assert (
        services.call("GET", f"/closing-runs/{launched['id']}", 200, role="finance")["archive_ready"] is True
    )

    listed = services.call("GET", "/closing-runs", 200, role="finance")
    assert [(item["id"], item["total"]) for item in listed] == [(launched["id"], 4)]


def test_a_period_overlapping_another_counts_what_the_other_closed_as_already_closed(services, year):
    first = services.call("POST", "/closing-runs", 202, YEAR, role="finance")
    services.run_job()
    march = services.call(
        "POST",
        "/closing-runs",
        202,
        {"funding_ends_from": "2026-02-01", "funding_ends_to": "2026-03-31"},
        role="finance",
    )
    assert march["id"] != first["id"]
    services.run_job()
    run = services.call("GET", f"/closing-runs/{march['id']}", 200, role="finance")
    # Le Tampon (closed by the first run) and Sainte-Anne (closed by it too, as nothing terminated it).
    assert (run["counts"]["closed"], run["counts"]["already_closed"], run["counts"]["total"]) == (0, 2, 2)
    assert len(services.closed_events(year["ended"]["id"])) == 1
    assert len(services.closed_events(year["terminated"]["id"])) == 1


def test_a_period_is_refused_when_it_is_reversed_or_when_no_convention_ends_in_it(services, year):
    reversed_period = services.call(
        "POST",
        "/closing-runs",
        422,
        {"funding_ends_from": "2026-12-31", "funding_ends_to": "2026-01-01"},
        role="finance",
    )
    assert reversed_period["errors"]["json"]["funding_ends_to"] == [
        "La fin de la période (1er janvier 2026) précède son début (31 décembre 2026)."
    ]
    empty = services.call(
        "POST",
        "/closing-runs",
        422,
        {"funding_ends_from": "2030-01-01", "funding_ends_to": "2030-12-31"},
        role="finance",
    )
    assert empty["errors"]["json"]["funding_ends_from"] == [
        "Aucune convention signée ne finit du 1er janvier 2030 au 31 décembre 2030."
    ]
    unknown = services.call("GET", "/closing-runs/00000000-0000-0000-0000-000000000000", 404, role="finance")
    assert unknown["message"] == "Clôture introuvable."
    services.call("POST", "/closing-runs", 403, YEAR, role="compliance")
    services.call("GET", "/closing-runs", 403, role="structure", structure_id=year["ended"]["structure_id"])


def test_a_closing_run_over_the_demo_data(services):
    """The demo data set of `make run`: of its 2026 ends, Val-de-Marne's renewal (31 May) is closed and
    Mamoudzou's (31 December) is not yet ended on 1 July."""
    assert load_demo(services.apps["conventions"].extensions["cnum"].settings).startswith("demo data: 5")
    services.deliver()
    launched = services.call("POST", "/closing-runs", 202, YEAR, role="finance")
    services.run_job()
    services.deliver()
    run = services.call("GET", f"/closing-runs/{launched['id']}", 200, role="finance")
    assert (run["counts"]["closed"], run["counts"]["not_ended"], run["counts"]["failed"]) == (1, 1, 0)
    assert [line["end_date"] for line in run["not_yet_ended"]] == ["2026-12-31"]
    # Val-de-Marne's post was never filled and nothing was paid under it: nothing to settle.
    assert run["summary"] == {
        "to_pay": {"conventions": 0, "amount": "0.00"},
        "to_recover": {"conventions": 0, "amount": "0.00"},
        "nothing": 1,
        "awaited": 0,
    }
