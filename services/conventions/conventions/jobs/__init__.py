"""Named, idempotent jobs of the conventions service; `python -m conventions.jobs list` names them."""

from __future__ import annotations

from datetime import date

from cnum_shared.events.relay import relay_outbox_job
from cnum_shared.jobs import Job
from cnum_shared.web import ServiceContext
from conventions.adapters.converter import PdfConverter
from conventions.adapters.orm import event_tables
from conventions.config import ConventionsSettings
from conventions.service_layer.batches import run_document_batches


def _run_document_batches(context: ServiceContext, as_of: date) -> str:
    settings = context.settings
    assert isinstance(settings, ConventionsSettings)
    converter = PdfConverter(settings.converter_url, settings.converter_timeout_seconds)
    return run_document_batches(
        context.database, settings.var_dir, converter.convert, as_of, settings.batch_concurrency
    )


JOBS: list[Job] = [
    relay_outbox_job(event_tables),
    Job(
        name="run_document_batches",
        function=_run_document_batches,
        description="render the queued document batches (PDF through the converter pool) and zip them",
        trigger={"trigger": "interval", "seconds": 5},
    ),
]
