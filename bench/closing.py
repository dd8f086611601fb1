"""One measure of `make bench`: the closing of a year of 2,800 posts (issue 18 point 3, decision 0035).

A year of conventions is generated on SQLite through the conventions service's use cases, as the legal
officers would make them: structures (communes), conventions of 1 to 3 posts, half initial-wave (started
from August to December 2022, ending from July to November 2025), half renewals (started from January to
June 2023, ending from December 2025 to May 2026), every post filled by an advisor's contract from the
convention's start, about one in seven ended early. Every event is delivered to payments in this process,
through its inbox and handlers (what `POST /api/v1/events` runs), and finance pays every tranche due by
1 March 2025 (so that some statements pay a remainder, others recover what a post that ended did not earn,
most settle nothing).

Then the measure, from the launch to the last statement received:

1. the closing run of the year (1 July 2025 to 30 June 2026), launched and run by the job's use cases:
   every convention closed at its end date, each in its own transaction;
2. the `convention.closed` events delivered to payments: each convention settled (its final statement,
   the last payment or the recovery booked, `final_statement.settled` emitted);
3. payments' events delivered back to conventions: each statement stored, the run's summary complete.

The statements' PDFs are not rendered here: the converter's cost per document is the `pdf` measure's and
the batch's (a statement is one more document of the same pipeline); `--closing-pdf-sample N` renders N of
them through a warm converter and reports the time per document, from which the archive of a year is
extrapolated.

    .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); from closing import bench_closing; \
print(bench_closing(posts=200))"
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import Result, signed_convention

#: The year of closings: conventions whose funding ends from the first to the last day.
PERIOD = (date(2025, 7, 1), date(2026, 6, 30))
#: The day the run is launched: every convention of the period has ended.
TODAY = date(2026, 7, 15)
#: Finance paid every tranche due by this day (so that closing pays some and recovers from others).
PAID_BY = date(2025, 3, 1)
#: Metropolitan and overseas communes (their SMIC is the national one): public employers, CDDs of any length.
_TEMPLATES = ("15", "971", "974")


def _siret(number: int) -> str:
    """A valid SIRET (Luhn on the SIREN and on the whole number) made from `number`."""
    from stdnum import luhn

    siren = f"2{number:07d}"
    siren += luhn.calc_check_digit(siren)
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _deliver(
    source: Any,
    source_tables: Any,
    after: int,
    target_uow: Callable[[], Any],
    target_tables: Any,
    handlers: Any,
    consumer: str,
) -> tuple[int, int]:
    """Deliver the source outbox's events after sequence `after` that `consumer` takes, in order, through
    its inbox and handlers (what its `POST /api/v1/events` runs): (events delivered, last sequence)."""
    from sqlalchemy import select

    from cnum_shared.core.wire import consumers_of, load_envelope
    from cnum_shared.framework.events.inbox import receive
    from cnum_shared.framework.events.relay import envelope_of

    with source.session() as session:
        rows = session.execute(
            select(source_tables.outbox)
            .where(source_tables.outbox.c.sequence > after)
            .order_by(source_tables.outbox.c.sequence)
        ).mappings()
        envelopes = [envelope_of(row) for row in rows]
    delivered = 0
    for envelope in envelopes:
        if consumer in consumers_of(envelope["type"]):
            receive(target_uow, target_tables, handlers, load_envelope(envelope))
            delivered += 1
    return delivered, max((envelope["sequence"] for envelope in envelopes), default=after)


def _seed(conventions_db: Any, posts: int, seed: int = 18) -> tuple[int, int, int, list[uuid.UUID]]:
    """A year of `posts` posts through the use cases: (conventions, contracts, contracts ended early, the
    structures)."""
    from cnum_shared.core.dates import add_months
    from cnum_shared.core.legal import Wave
    from conventions.demo import DEMO_REGISTERED_ON, DEMO_STRUCTURES
    from conventions.domain.contracts import ContractType, EndReason
    from conventions.service_layer.commands import (
        CreateAdvisor,
        CreateConvention,
        CreateStructure,
        EndContract,
        SignContract,
    )
    from conventions.service_layer.contracts import create_advisor, end_contract, sign_contract
    from conventions.service_layer.structures import create_structure

    chance = random.Random(seed)  # noqa: S311 (a reproducible sample, not a secret)
    templates = {fields["department"]: fields for fields in DEMO_STRUCTURES}
    made = contracts = ended = 0
    structure_number = 0
    structures: list[uuid.UUID] = []
    while posts > 0:
        structure_number += 1
        template = templates[_TEMPLATES[structure_number % len(_TEMPLATES)]]
        with conventions_db.unit_of_work() as uow:
            structure = create_structure(
                uow,
                CreateStructure(
                    **{
                        **template,
                        "name": f"{template['name']} ({structure_number})",
                        "siret": _siret(structure_number),
                    },
                    on=DEMO_REGISTERED_ON,
                ),
            )
            structures.append(structure.id)
        # Its initial-wave convention (August to December 2022, 36 months), then its renewal (January to June
        # 2023).
        for wave, start in (
            (Wave.INITIAL, date(2022, chance.randint(8, 12), 1)),
            (Wave.RENEWAL, date(2023, chance.randint(1, 6), 1)),
        ):
            if posts <= 0:
                break
            count = min(chance.randint(1, 3), posts)
            posts -= count
            command = CreateConvention(
                structure_id=structure.id, wave=wave, posts=count, start_date=start, duration_months=36
            )
            convention = signed_convention(conventions_db, command, start)
            made += 1
            for post in range(count):
                with conventions_db.unit_of_work() as uow:
                    advisor = create_advisor(
                        uow,
                        CreateAdvisor(
                            structure_id=structure.id,
                            first_name="Conseiller",
                            last_name=f"{structure_number}-{wave.value}-{post + 1}",
                            birth_date=date(1990, 5, 4),
                            email=f"conseiller{structure_number}.{post}@example.org",
                        ),
                    )
                with conventions_db.unit_of_work() as uow:
                    contract = sign_contract(
                        uow,
                        SignContract(
                            convention_id=convention.id,
                            advisor_id=advisor.id,
                            contract_type=ContractType.CDD,
                            start_date=start,
                            end_date=add_months(start, 36) - timedelta(days=1),
                            weekly_hours=Decimal(35),
                            gross_monthly_salary=Decimal("1900.00"),
                            signed_on=start,
                        ),
                    )
                contracts += 1
                if chance.random() < 1 / 7:
                    # Left between the 6th and the 30th month: the post earned only its months.
                    left = add_months(start, chance.randint(6, 30)) - timedelta(days=1)
                    with conventions_db.unit_of_work() as uow:
                        end_contract(uow, EndContract(contract.id, left, EndReason.RESIGNATION))
                    ended += 1
    return made, contracts, ended, structures


def _pay_what_is_due(payments_db: Any, structure_ids: list[uuid.UUID], on: date) -> int:
    """The tranches due by `on` paid as finance would: compliance's standing of each structure (clear),
    then `mark_due`, each approved by one officer and paid by another, in order: the tranches paid."""
    from run import payments_unit_of_work
    from sqlalchemy import select

    from cnum_shared.core.wire import load_envelope
    from cnum_shared.framework.events.inbox import receive
    from payments.adapters.orm import Tranche
    from payments.adapters.orm import event_tables as payments_tables
    from payments.service_layer.commands import ApproveTranche, MarkDue, PayTranche
    from payments.service_layer.event_handlers import EVENT_HANDLERS
    from payments.service_layer.tranches import approve_tranche, mark_due, pay_tranche

    def new_uow() -> Any:
        return payments_unit_of_work(payments_db)

    for sequence, structure_id in enumerate(structure_ids, start=1):
        standing = {
            "id": str(uuid.uuid4()),
            "type": "structure.standing_changed",
            "version": 1,
            "occurred_at": "2025-01-01T00:00:00+00:00",
            "producer": "compliance",
            "sequence": sequence,
            "data": {"structure_id": str(structure_id), "blocking": False, "overdue": [], "as_of": str(on)},
        }
        receive(new_uow, payments_tables, EVENT_HANDLERS, load_envelope(standing))
    with new_uow() as uow:
        mark_due(uow, MarkDue(as_of=on))
    with payments_db.session() as session:
        due = session.scalars(
            select(Tranche.id).where(Tranche.due_on <= on).order_by(Tranche.convention_id, Tranche.number)
        ).all()
    for tranche_id in due:
        with new_uow() as uow:
            approve_tranche(uow, ApproveTranche(tranche_id, "alice", on))
        with new_uow() as uow:
            pay_tranche(uow, PayTranche(tranche_id, "bruno", on, f"VIR-{tranche_id.hex[:8]}", on))
    return len(due)


def _last_sequence(database: Any, tables: Any) -> int:
    """The last sequence of a service's outbox: what was there before the measure."""
    from sqlalchemy import func, select

    with database.session() as session:
        return int(session.scalar(select(func.max(tables.outbox.c.sequence))) or 0)


def _statement_pdfs(conventions_db: Any, run_id: uuid.UUID, root: Path, sample: int) -> float:
    """Seconds per statement PDF, rendered for `sample` statements through a warm converter (one worker)."""
    from common import free_port

    from cnum_shared.core.clock import SystemClock
    from cnum_shared.framework.config import load_settings
    from cnum_shared.testing import TEST_KEY_SETTINGS
    from conventions.adapters.converter import start_converter, stop_converter, wait_until_ready
    from conventions.adapters.document_adapters import build_document_adapters
    from conventions.config import ConventionsSettings
    from conventions.service_layer.documents.generation import final_statement_document

    port = free_port()
    process = start_converter(port, 1, root / "profiles")
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process=process)
        settings = load_settings(
            ConventionsSettings,
            {
                "environment": "test",
                "database_url": "sqlite://",
                "var_dir": root,
                "converter_url": f"http://127.0.0.1:{port}",
                # The tests' local seal authority, as the batch measure's service runs with.
                **TEST_KEY_SETTINGS,
            },
        )
        adapters = build_document_adapters(settings, conventions_db.parameters, SystemClock())
        with conventions_db.unit_of_work(read_only=True) as uow:
            chosen = uow.closing_runs.settled_conventions(run_id)[: sample + 1]
        timings = []
        for convention_id in chosen:
            with conventions_db.unit_of_work() as uow:
                started = time.perf_counter()
                final_statement_document(uow, convention_id, "pdf", TODAY, adapters)
                uow.commit()
                timings.append(time.perf_counter() - started)
        # The first warms the converter up.
        return sum(timings[1:]) / max(len(timings) - 1, 1)
    finally:
        stop_converter(process)


def bench_closing(posts: int = 2800, pdf_sample: int = 0) -> list[Result]:
    """The closing of a year of `posts` posts on SQLite: closed, settled by payments, statements back."""
    from run import payments_unit_of_work

    from cnum_shared.core.parameters import parameters
    from cnum_shared.framework.db import Database, upgrade_database
    from conventions.adapters.files import LocalFiles
    from conventions.adapters.orm import event_tables as conventions_tables
    from conventions.adapters.unit_of_work import ConventionsDatabase
    from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
    from conventions.service_layer.closing_runs import (
        closing_run_report,
        launch_closing_run,
        run_closing_runs,
    )
    from conventions.service_layer.commands import LaunchClosingRun, RunClosingRuns
    from conventions.service_layer.event_handlers import EVENT_HANDLERS as CONVENTIONS_HANDLERS
    from payments.adapters.orm import event_tables as payments_tables
    from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
    from payments.service_layer.event_handlers import EVENT_HANDLERS as PAYMENTS_HANDLERS

    work = Path(tempfile.mkdtemp(prefix="cnum-bench-closing-"))
    conventions_url = f"sqlite:///{work}/conventions.sqlite3"
    payments_url = f"sqlite:///{work}/payments.sqlite3"
    upgrade_database(conventions_url, CONVENTIONS_MIGRATIONS)
    upgrade_database(payments_url, PAYMENTS_MIGRATIONS)
    conventions_db = ConventionsDatabase(
        conventions_url, parameters=parameters(), files=LocalFiles(work / "files")
    )
    payments_db = Database(payments_url)
    try:
        started = time.perf_counter()
        made, contracts, ended, structures = _seed(conventions_db, posts)
        to_payments, conventions_seq = _deliver(
            conventions_db,
            conventions_tables,
            0,
            lambda: payments_unit_of_work(payments_db),
            payments_tables,
            PAYMENTS_HANDLERS,
            "payments",
        )
        print(
            f"  seeded {made} conventions, {contracts} contracts ({ended} ended early), {to_payments} events "
            f"to payments in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        paid = _pay_what_is_due(payments_db, structures, PAID_BY)
        print(f"  {paid} tranches due by {PAID_BY} paid", flush=True)
        payments_seq = _last_sequence(payments_db, payments_tables)

        started = time.perf_counter()
        with conventions_db.unit_of_work() as uow:
            run = launch_closing_run(uow, LaunchClosingRun(*PERIOD, requested_by="bench", today=TODAY)).run
        run_closing_runs(conventions_db.unit_of_work, RunClosingRuns(today=TODAY))
        closed_at = time.perf_counter()
        settled, _ = _deliver(
            conventions_db,
            conventions_tables,
            conventions_seq,
            lambda: payments_unit_of_work(payments_db),
            payments_tables,
            PAYMENTS_HANDLERS,
            "payments",
        )
        settled_at = time.perf_counter()
        back, _ = _deliver(
            payments_db,
            payments_tables,
            payments_seq,
            conventions_db.unit_of_work,
            conventions_tables,
            CONVENTIONS_HANDLERS,
            "conventions",
        )
        finished = time.perf_counter()
        with conventions_db.unit_of_work(read_only=True) as uow:
            report = closing_run_report(uow, run.id)
        elapsed = finished - started
        statements = report.statements_received
        summary = report.summary
        print(
            f"  closing run: {report.closed} closed, {report.failed} failed in {closed_at - started:.1f} s; "
            f"{settled} closings settled by payments in {settled_at - closed_at:.1f} s; {back} events back "
            f"({statements} statements) in {finished - settled_at:.1f} s; to pay {summary.to_pay} "
            f"({summary.to_pay_amount} €), to recover {summary.to_recover} ({summary.to_recover_amount} €), "
            f"nothing {summary.nothing}",
            flush=True,
        )
        pdf_each = (
            _statement_pdfs(conventions_db, run.id, work / "documents", pdf_sample) if pdf_sample else None
        )
    finally:
        conventions_db.dispose()
        payments_db.dispose()
        shutil.rmtree(work, ignore_errors=True)

    holds = report.failed == 0 and report.closed == made and statements == made and summary.awaited == 0
    results = [
        Result(
            f"Closing a year of {posts} posts ({made} conventions), sqlite (s)",
            f"{elapsed:.1f}",
            f"{statements / elapsed:.0f} statements/s (close {closed_at - started:.1f} s, settle "
            f"{settled_at - closed_at:.1f} s, back {finished - settled_at:.1f} s)",
            float(report.failed),
            "0 failures, every statement back",
            holds,
        )
    ]
    if pdf_each is not None:
        results.append(
            Result(
                f"Statement PDF, one warm worker, sample of {pdf_sample} (ms/doc)",
                f"{pdf_each * 1000:.0f}",
                f"{pdf_each * made / 60:.0f} min for the year's {made} on one worker",
                pdf_each,
                "reported",
                True,
            )
        )
    return results
