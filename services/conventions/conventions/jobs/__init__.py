"""Named, idempotent jobs of the conventions service; `python -m conventions.jobs list` names them."""

from __future__ import annotations

from datetime import date
from typing import cast

from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.events.relay import relay_outbox_job
from cnum_shared.framework.jobs import Job
from conventions.adapters.orm import event_tables
from conventions.bootstrap import batch_queue
from conventions.config import ConventionsSettings
from conventions.service_layer.batches import run_document_batches
from conventions.service_layer.closing_runs import archive_closing_runs, run_closing_runs
from conventions.service_layer.commands import PublishOpenData, PurgePersonalData, RunClosingRuns
from conventions.service_layer.documents import RunDocumentBatches
from conventions.service_layer.documents.generation import final_statement_document
from conventions.service_layer.open_data import publish_open_data
from conventions.service_layer.personal_data import purge_personal_data
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


def _run_document_batches(context: ServiceContext, as_of: date) -> str:
    settings = context.settings
    assert isinstance(settings, ConventionsSettings)
    return run_document_batches(
        context.unit_of_work,  # type: ignore[arg-type]
        RunDocumentBatches(today=as_of, concurrency=settings.batch_concurrency),
        context.adapters,
        batch_queue(context),
    )


def _run_closing_runs(context: ServiceContext, as_of: date) -> str:
    settings = context.settings
    assert isinstance(settings, ConventionsSettings)
    command = RunClosingRuns(today=as_of, concurrency=settings.batch_concurrency)
    closed = run_closing_runs(context.unit_of_work, command)  # type: ignore[arg-type]
    archived = archive_closing_runs(
        context.unit_of_work,  # type: ignore[arg-type]
        command,
        context.adapters,
        final_statement_document,
    )
    return f"{closed}; {archived}"


def _purge_personal_data(context: ServiceContext, as_of: date) -> str:
    with context.unit_of_work() as uow:
        return purge_personal_data(cast(ConventionsUnitOfWork, uow), PurgePersonalData(as_of=as_of)).summary()


def _publish_open_data(context: ServiceContext, as_of: date) -> str:
    with context.unit_of_work(read_only=True) as uow:
        return publish_open_data(cast(ConventionsUnitOfWork, uow), PublishOpenData(as_of=as_of))


JOBS: list[Job] = [
    relay_outbox_job(event_tables),
    Job(
        name="run_document_batches",
        function=_run_document_batches,
        description="publish the items of the queued document batches to the batch queue (the workers of "
        "CNUM_BROKER_URL, or the embedded queue's threads in this process) and zip the batches rendered "
        "(decision 0036)",
        trigger={"trigger": "interval", "seconds": 5},
    ),
    Job(
        name="run_closing_runs",
        function=_run_closing_runs,
        description="close the conventions of the queued closing runs, each at its end date in its own "
        "transaction, then zip the statements of the runs whose statements have all arrived (decision 0035)",
        trigger={"trigger": "interval", "seconds": 5},
    ),
    Job(
        name="purge_personal_data",
        function=_purge_personal_data,
        description="anonymise the advisors past the retention period after their conventions ended and "
        "delete their contract avenants (shared/parameters/personal_data.yaml)",
        trigger={"trigger": "cron", "hour": 3, "minute": 15},
        # A scheduler that was down at 03:15 catches up at start; a second run that day changes nothing.
        run_at_start=True,
    ),
    Job(
        name="publish_open_data",
        function=_publish_open_data,
        description="write the SCDL « Subventions » open data of the conventions above the yearly threshold "
        "(shared/parameters/open_data.yaml) to $CNUM_VAR_DIR/open-data/subventions.csv (decision 0029)",
        trigger={"trigger": "cron", "hour": 4, "minute": 0},
        # A file missing after a restart is written at once; a second run the same day writes the same bytes.
        run_at_start=True,
    ),
]
