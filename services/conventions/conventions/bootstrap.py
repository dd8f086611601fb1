"""The composition root of the conventions service: settings, database and adapters, built once.

The app factory (`create_app`) and the jobs (`python -m conventions.jobs`) both start here, so that a view, a
job and an event handler run the same use cases on the same adapters. Nothing else builds an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast
from uuid import UUID

from cnum_shared.core.clock import Clock, FixedClock, SystemClock
from cnum_shared.core.parameters import parameters
from cnum_shared.framework.config import ConfigurationError, ServiceSettings, load_settings
from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.seal import SealError
from conventions.adapters.batch_queue import BatchItemMessages
from conventions.adapters.batch_queue import batch_queue as build_batch_queue
from conventions.adapters.document_adapters import build_document_adapters
from conventions.adapters.files import LocalFiles
from conventions.adapters.unit_of_work import ConventionsDatabase
from conventions.config import ConventionsSettings
from conventions.service_layer.batches import render_batch_item
from conventions.service_layer.documents import RenderBatchItem

SERVICE_NAME = "conventions"


def build_database(settings: ServiceSettings) -> ConventionsDatabase:
    """The service's database, whose units of work carry the legal parameters (loaded once) and the files
    of the var directory."""
    return ConventionsDatabase(
        settings.database_url, parameters=parameters(), files=LocalFiles(settings.var_dir)
    )


def bootstrap(config: Mapping[str, Any] | None = None) -> ServiceContext:
    """Settings (validated now, so that a bad environment stops the start), the database, the adapters.

    The legal parameters are loaded once here and handed to every unit of work (`uow.parameters`).
    """
    settings = load_settings(ConventionsSettings, config)
    database = build_database(settings)
    # One clock for the requests and the seal's signing time (CNUM_FAKE_NOW fixes both in tests).
    clock: Clock = FixedClock(settings.fake_now) if settings.fake_now is not None else SystemClock()
    try:
        adapters = build_document_adapters(settings, database.parameters, clock)
    except SealError as error:
        raise ConfigurationError(str(error)) from None
    return ServiceContext(
        SERVICE_NAME,
        settings,
        database,
        clock=clock,
        unit_of_work_factory=database.unit_of_work,
        adapters=adapters,
    )


def batch_queue(context: ServiceContext) -> BatchItemMessages:
    """The batch queue of this process (decision 0036), built once per context: RabbitMQ when
    CNUM_BROKER_URL is set, else the embedded queue whose worker threads render in this process."""
    # Kept in the context's own attributes, as its cached properties are: one broker per process.
    queue = context.__dict__.get("batch_queue")
    if queue is None:
        settings = cast(ConventionsSettings, context.settings)

        def handle(item_id: UUID, today: date) -> None:
            render_batch_item(
                context.unit_of_work,  # type: ignore[arg-type]
                RenderBatchItem(item_id, today),
                context.adapters,
            )

        queue = build_batch_queue(
            settings.broker_url, settings.batch_queue, handle, settings.batch_concurrency
        )
        context.__dict__["batch_queue"] = queue
    return cast(BatchItemMessages, queue)
