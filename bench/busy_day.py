"""One measure of `make bench`: a busy day, held (issue 19 point 5), on PostgreSQL.

The whole product runs as in infra/Procfile, each service on its own PostgreSQL database: the three APIs
under gunicorn (2 workers each), their schedulers (relays every second), the warm converter, and the
document workers on RabbitMQ when it answers (the embedded broker of the conventions scheduler otherwise).
The day is 20 October 2022 on every service's clock (CNUM_FAKE_NOW): 4,000 conventions signed on
3 October 2022, their first tranches due, no obligation overdue yet.

Seeding (not timed): the structures and the signed conventions through the conventions use cases, their
events delivered by the real relays to payments and compliance, then payments' `mark_due` of the day.

Then, for LOAD_SECONDS at once:
- wrk on the busiest reads (the tranche list, the conventions list, the obligations list), with tokens;
- officers approving the due tranches (one officer) and paying the approved ones (another), each payment
  with its own Idempotency-Key and sent twice (a client's retry), while a third officer tries to pay the
  same tranches with keys of her own (two officers on one tranche: one payment, one refusal);
- a batch of the 4,000 conventions to PDF;
- the compliance scan of the day (the compliance scheduler starts with the load: its first scan), whose
  standings travel to payments while the officers work.

Reported: errors (a 5xx, a socket error, a status no rule explains: none), double payments (a tranche paid
twice: none), events left undelivered once the load stopped and the relays drained (none), the p99 and
throughput of each read, what the officers and the batch got through.

    .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); from busy_day import bench_busy_day; \
print(bench_busy_day(conventions=200, seconds=30))"
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests
from common import Databases, Result, free_port, signed_convention, stop_process, wait_for_http

#: The busy day, on every service's clock, and the conventions' signature (their start).
DAY = date(2022, 10, 20)
SIGNED_ON = date(2022, 10, 3)
LOAD_SECONDS = 120.0
#: How long the relays get, once the load stops, to deliver every event (bounded: a stuck event is reported).
DRAIN_SECONDS = 300.0
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
SERVICES = ("conventions", "payments", "compliance")


def _seed(conventions_db: Any, conventions: int) -> None:
    """`conventions` structures, each with its initial convention of 1 to 3 posts signed on SIGNED_ON."""
    from closing import _siret

    from cnum_shared.core.legal import Wave
    from conventions.demo import DEMO_REGISTERED_ON, DEMO_STRUCTURES
    from conventions.service_layer.commands import CreateConvention, CreateStructure
    from conventions.service_layer.structures import create_structure

    templates = [fields for fields in DEMO_STRUCTURES if fields["department"] in ("15", "971", "974")]
    for number in range(1, conventions + 1):
        template = templates[number % len(templates)]
        with conventions_db.unit_of_work() as uow:
            structure = create_structure(
                uow,
                CreateStructure(
                    **{**template, "name": f"{template['name']} ({number})", "siret": _siret(number)},
                    on=DEMO_REGISTERED_ON,
                ),
            )
        command = CreateConvention(
            structure_id=structure.id,
            wave=Wave.INITIAL,
            posts=1 + number % 3,
            start_date=SIGNED_ON,
            duration_months=36,
        )
        signed_convention(conventions_db, command, SIGNED_ON)


def _rabbitmq_answers() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Product:
    """The product's processes on their PostgreSQL databases, started and stopped as `make run` does."""

    work: Path
    databases: dict[str, str]
    converter_url: str
    broker_url: str | None
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        from cnum_shared.testing import TEST_KEY_ENV

        return {
            # The caller's own settings must not reach the measured product.
            **{
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("CNUM_", "CONVENTIONS_", "PAYMENTS_", "COMPLIANCE_"))
            },
            **TEST_KEY_ENV,
            "CNUM_ENVIRONMENT": "test",
            "CNUM_FAKE_NOW": f"{DAY.isoformat()}T09:00:00+00:00",
            "CNUM_RELAY_INTERVAL_SECONDS": "1",
            "CNUM_VAR_DIR": str(self.work / service),
            "CONVENTIONS_CONVERTER_URL": self.converter_url,
            **({"CNUM_BROKER_URL": self.broker_url} if self.broker_url else {}),
            **{f"CNUM_{name.upper()}_URL": self.url(name) for name in SERVICES},
            **{f"{name.upper()}_DATABASE_URL": self.databases[name] for name in SERVICES},
        }

    def start(self, name: str, service: str, command: list[str]) -> None:
        log = (self.work / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, env=self.env(service), stdout=log, stderr=log)

    def start_api(self, service: str) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.start(
            service,
            service,
            [
                gunicorn,
                "--bind",
                f"127.0.0.1:{self.ports[service]}",
                "--workers",
                "2",
                f"{service}:create_app()",
            ],
        )

    def start_scheduler(self, service: str) -> None:
        self.start(f"{service}_scheduler", service, [sys.executable, "-m", f"{service}.jobs", "serve"])

    def start_workers(self, count: int) -> None:
        for number in range(count):
            self.start(f"worker{number}", "conventions", [sys.executable, "-m", "conventions.worker"])

    def job(self, service: str, job: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", f"{service}.jobs", "run", job],
            env=self.env(service),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        return completed.stdout.strip()

    def wait_healthy(self) -> None:
        for service in SERVICES:
            wait_for_http(f"{self.url(service)}/healthz", self.processes[service], service)

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)


def _undelivered(databases: dict[str, str]) -> dict[str, int]:
    """Per producer, its events' deliveries not yet acknowledged by their consumer."""
    import psycopg

    counts = {}
    for service, url in databases.items():
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
            row = connection.execute(
                "SELECT count(*) FROM outbox_deliveries WHERE status <> 'delivered'"
            ).fetchone()
            counts[service] = int(row[0]) if row else 0
    return counts


def _wait_delivered(databases: dict[str, str], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        left = _undelivered(databases)
        if not any(left.values()) or time.monotonic() > deadline:
            return left
        time.sleep(1)


def _double_payments(payments_url: str) -> tuple[int, int]:
    """(tranches paid more than once, payments in all), read from payments' own table."""
    import psycopg

    with psycopg.connect(payments_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        twice = connection.execute(
            "SELECT count(*) FROM (SELECT tranche_id FROM payments GROUP BY tranche_id HAVING count(*) > 1) t"
        ).fetchone()
        total = connection.execute("SELECT count(*) FROM payments").fetchone()
    return int(twice[0]) if twice else 0, int(total[0]) if total else 0


@dataclass
class Officers:
    """The finance officers of the day, as a bounded script: what each answer was, and the errors."""

    payments_url: str
    deadline: float
    answers: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, what: str, response: requests.Response, expected: tuple[int, ...]) -> bool:
        with self.lock:
            self.answers[f"{what} {response.status_code}"] += 1
            if response.status_code not in expected:
                self.errors.append(f"{what}: {response.status_code} {response.text[:300]}")
                return False
        return True

    def _tranches(self, http: requests.Session, status: str) -> list[str]:
        response = http.get(
            f"{self.payments_url}/api/v1/tranches", params={"status": status, "page_size": 100}, timeout=30
        )
        if not self._count(f"list {status}", response, (200,)):
            return []
        return [tranche["id"] for tranche in response.json()]

    def approver(self) -> None:
        """Approves the due tranches; a refusal (409: the structure's standing unknown yet, or blocking) is
        the rule speaking, not an error; the tranche is tried again later."""
        from cnum_shared.testing import bearer

        refused: set[str] = set()
        with requests.Session() as http:
            http.headers.update(bearer("finance", sub="alice"))
            while time.monotonic() < self.deadline:
                due = [tranche for tranche in self._tranches(http, "due") if tranche not in refused]
                if not due:
                    refused.clear()  # standings arrive meanwhile: try the refused ones again
                    time.sleep(1)
                    continue
                for tranche in due:
                    if time.monotonic() >= self.deadline:
                        return
                    response = http.post(
                        f"{self.payments_url}/api/v1/tranches/{tranche}/approve", json={}, timeout=30
                    )
                    if self._count("approve", response, (200, 409)) and response.status_code == 409:
                        refused.add(tranche)
                        with self.lock:  # why, in the rule's words (standing_unknown, overdue_obligation…)
                            for reason in response.json()["errors"].get("reasons", []):
                                self.answers[f"approve refused: {reason['code']}"] += 1

    def payer(self, officer: str, retry: bool) -> None:
        """Pays the approved tranches, each with its own key; `retry` sends every payment twice with the
        same key (the replay answers the same payment, 201)."""
        from cnum_shared.testing import bearer

        with requests.Session() as http:
            http.headers.update(bearer("finance", sub=officer))
            while time.monotonic() < self.deadline:
                approved = self._tranches(http, "approved")
                if not approved:
                    time.sleep(0.5)
                    continue
                for tranche in approved:
                    if time.monotonic() >= self.deadline:
                        return
                    body = {"paid_on": DAY.isoformat(), "reference": f"VIR-{tranche[:8]}-{officer}"}
                    headers = {"Idempotency-Key": f"{officer}-{tranche}"}
                    url = f"{self.payments_url}/api/v1/tranches/{tranche}/pay"
                    first = http.post(url, json=body, headers=headers, timeout=30)
                    # 409: the other officer paid it first, or her request on it is still running.
                    if not self._count(f"pay ({officer})", first, (201, 409)) or not retry:
                        continue
                    again = http.post(url, json=body, headers=headers, timeout=30)
                    if self._count(f"pay again ({officer})", again, (first.status_code,)) and (
                        first.status_code == 201 and again.json()["id"] != first.json()["id"]
                    ):
                        with self.lock:
                            self.errors.append(f"the retry of {tranche} made another payment")


def bench_busy_day(conventions: int = 4000, seconds: float = LOAD_SECONDS, workers: int = 2) -> list[Result]:
    """The busy day on PostgreSQL: errors, double payments, undelivered events, the reads' p99."""
    from wrk import run_wrk

    from cnum_shared.core.parameters import parameters
    from cnum_shared.testing import bearer
    from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
    from conventions.adapters.converter import start_converter, stop_converter, wait_until_ready
    from conventions.adapters.files import LocalFiles
    from conventions.adapters.unit_of_work import ConventionsDatabase
    from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
    from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

    work = Path(tempfile.mkdtemp(prefix="cnum-bench-busy-"))
    databases = Databases("postgresql")
    converter = None
    product = None
    try:
        urls = {
            "conventions": databases.migrated(CONVENTIONS_MIGRATIONS),
            "payments": databases.migrated(PAYMENTS_MIGRATIONS),
            "compliance": databases.migrated(COMPLIANCE_MIGRATIONS),
        }
        started = time.perf_counter()
        conventions_db = ConventionsDatabase(
            urls["conventions"], parameters=parameters(), files=LocalFiles(work / "seed-files")
        )
        try:
            _seed(conventions_db, conventions)
        finally:
            conventions_db.dispose()
        print(
            f"  seeded {conventions} signed conventions in {time.perf_counter() - started:.0f} s", flush=True
        )

        converter_port = free_port()
        converter = start_converter(
            converter_port, os.cpu_count() or 1, work / "profiles", work / "converter.log"
        )
        converter_url = f"http://127.0.0.1:{converter_port}"
        wait_until_ready(converter_url, process=converter)
        broker_url = RABBITMQ_URL if _rabbitmq_answers() else None
        product = Product(work, urls, converter_url, broker_url)
        for service in SERVICES:
            product.start_api(service)
        product.wait_healthy()
        product.start_scheduler("conventions")
        product.start_scheduler("payments")
        if broker_url:
            product.start_workers(workers)
        started = time.perf_counter()
        left = _wait_delivered({"conventions": urls["conventions"]}, DRAIN_SECONDS)
        print(
            f"  conventions' events delivered in {time.perf_counter() - started:.0f} s ({left} left); "
            f"mark_due: {product.job('payments', 'mark_due')}",
            flush=True,
        )

        reads = {
            "tranche list": (f"{product.url('payments')}/api/v1/tranches", bearer("finance", sub="reader")),
            "conventions list": (
                f"{product.url('conventions')}/api/v1/conventions",
                bearer("legal", sub="reader"),
            ),
            "obligations list": (
                f"{product.url('compliance')}/api/v1/obligations",
                bearer("compliance", sub="reader"),
            ),
        }
        loads: dict[str, Any] = {}

        def read(name: str) -> None:
            url, headers = reads[name]
            loads[name] = run_wrk(url, connections=4, threads=1, duration_s=seconds, headers=headers)

        officers = Officers(product.url("payments"), time.monotonic() + seconds)
        threads = [threading.Thread(target=read, args=(name,)) for name in reads]
        threads += [
            threading.Thread(target=officers.approver),
            threading.Thread(target=officers.payer, args=("bruno", True)),
            threading.Thread(target=officers.payer, args=("chloe", False)),
        ]
        print(f"  the day begins: {seconds:g} s of load", flush=True)
        load_started = time.perf_counter()
        batch = requests.post(
            f"{product.url('conventions')}/api/v1/document-batches",
            json={"format": "pdf"},
            headers=bearer("legal", sub="lea"),
            timeout=120,
        )
        assert batch.status_code == 202, f"{batch.status_code}: {batch.text[:500]}"
        batch_id = batch.json()["id"]
        product.start_scheduler("compliance")  # its scan runs at start: the day's first scan
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        load_elapsed = time.perf_counter() - load_started
        progress = requests.get(
            f"{product.url('conventions')}/api/v1/document-batches/{batch_id}",
            headers=bearer("legal", sub="lea"),
            timeout=60,
        ).json()
        # The load stops; the relays deliver what is left, the batch goes on meanwhile.
        started = time.perf_counter()
        left = _wait_delivered(urls, DRAIN_SECONDS)
        drained = time.perf_counter() - started
        twice, payments = _double_payments(urls["payments"])
    finally:
        if product is not None:
            product.stop()
        if converter is not None:
            stop_converter(converter)
        databases.close()

    wrk_errors = sum(load.errors for load in loads.values())
    wrk_requests = sum(load.requests for load in loads.values())
    errors = wrk_errors + len(officers.errors) + progress["failed"]
    undelivered = sum(left.values())
    print(f"  officers' answers: {dict(sorted(officers.answers.items()))}", flush=True)
    for error in officers.errors[:10]:
        print(f"  ERROR {error}", flush=True)
    print(
        f"  load {load_elapsed:.0f} s; batch {progress['done']}/{progress['total']} done, "
        f"{progress['failed']} failed; events left after {drained:.0f} s of drain: {left}; "
        f"{payments} payments",
        flush=True,
    )
    results = [
        Result(
            f"Busy day, {seconds:g} s on postgresql: errors",
            str(errors),
            f"{wrk_requests} reads, {sum(officers.answers.values())} officers' requests, "
            f"{progress['done']} documents",
            float(errors),
            "0",
            errors == 0,
        ),
        Result(
            "Busy day: tranches paid twice",
            str(twice),
            f"{payments} payments",
            float(twice),
            "0",
            twice == 0,
        ),
        Result(
            "Busy day: events undelivered at the end",
            str(undelivered),
            f"drained in {drained:.0f} s",
            float(undelivered),
            "0",
            undelivered == 0,
        ),
    ]
    for name, load in loads.items():
        results.append(
            Result(
                f"Busy day: {name} p99 (ms)",
                f"{load.p99_ms:.0f}",
                f"{load.requests_per_s:.0f} requests/s, p50 {load.p50_ms:.0f} ms",
                load.p99_ms,
                "reported",
                True,
            )
        )
    return results
