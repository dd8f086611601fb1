"""Named, idempotent jobs of the compliance service; `python -m compliance.jobs list` names them."""

from __future__ import annotations

from datetime import date

from cnum_shared.framework.config import ServiceSettings
from cnum_shared.framework.events.relay import relay_outbox_job
from cnum_shared.framework.jobs import Job
from cnum_shared.framework.web import ServiceContext
from compliance.adapters.orm import event_tables
from compliance.config import ComplianceSettings
from compliance.service_layer import alerts, obligations


def _settings(settings: ServiceSettings) -> ComplianceSettings:
    assert isinstance(settings, ComplianceSettings)
    return settings


def _scan(context: ServiceContext, as_of: date) -> str:
    with context.database.unit_of_work() as uow:
        counts = obligations.scan(uow.session, as_of)
        uow.commit()
    return (
        f"{counts['created']} obligation(s) créée(s) (comptes rendus, formation continue), "
        f"{counts['due_soon']} à échéance proche, {counts['overdue']} en retard, "
        f"{counts['standings']} situation(s) publiée(s)"
    )


def _send_alerts(context: ServiceContext, as_of: date) -> str:
    run = alerts.run_alerts(context.database, context.settings, as_of, context.clock.now())
    return f"{run.created} récapitulatif(s) préparé(s), {run.sent} envoyé(s), {run.failed} en attente de SMTP"


JOBS: list[Job] = [
    relay_outbox_job(event_tables),
    Job(
        name="scan",
        function=_scan,
        description=(
            "obligations to due soon and overdue, monthly reporting and yearly continuing-training ones, "
            "standings published"
        ),
        # Every minute or so rather than once a day: it is idempotent and takes about a second for the
        # whole programme, and an obligation created late (an event that waited for its relay) is moved
        # at once.
        trigger=lambda settings: {
            "trigger": "interval",
            "minutes": _settings(settings).scan_interval_minutes,
        },
        run_at_start=True,
    ),
    Job(
        name="send_alerts",
        function=_send_alerts,
        description="e-mail today's digests (one per structure) and retry those SMTP refused",
        # A digest is made at most once a day per structure (unique in the database); running often only
        # sends it sooner in the day, and retries what SMTP refused.
        trigger=lambda settings: {
            "trigger": "interval",
            "minutes": _settings(settings).alert_interval_minutes,
        },
        run_at_start=True,
    ),
]
