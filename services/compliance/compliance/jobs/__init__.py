"""Named, idempotent jobs of the compliance service; `python -m compliance.jobs list` names them."""

from __future__ import annotations

from datetime import date
from typing import cast

from cnum_shared.framework.config import ServiceSettings
from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.events.relay import relay_outbox_job
from cnum_shared.framework.jobs import Job
from compliance.adapters.orm import event_tables
from compliance.bootstrap import Adapters
from compliance.config import ComplianceSettings
from compliance.service_layer import alerts
from compliance.service_layer.commands import CreateDigests, ScanObligations, SendAlert
from compliance.service_layer.scan import scan_obligations
from compliance.service_layer.unit_of_work import UnitOfWork


def _settings(settings: ServiceSettings) -> ComplianceSettings:
    assert isinstance(settings, ComplianceSettings)
    return settings


def _unit_of_work(context: ServiceContext, *, read_only: bool = False) -> UnitOfWork:
    return cast(UnitOfWork, context.unit_of_work(read_only=read_only))


def _scan(context: ServiceContext, as_of: date) -> str:
    with _unit_of_work(context) as uow:
        counts = scan_obligations(uow, ScanObligations(as_of))
    return (
        f"{counts.created} obligation(s) créée(s) (comptes rendus, formation continue), "
        f"{counts.due_soon} à échéance proche, {counts.overdue} en retard, "
        f"{counts.standings} situation(s) publiée(s)"
    )


def _send_alerts(context: ServiceContext, as_of: date) -> str:
    with _unit_of_work(context) as uow:
        created = alerts.create_digests(uow, CreateDigests(as_of))
    with _unit_of_work(context, read_only=True) as uow:
        mails = alerts.alerts_to_send(uow, web_base_url=_settings(context.settings).web_base_url)
    mailer = cast(Adapters, context.adapters).mailer
    sent = failed = 0
    for mail in mails:
        with _unit_of_work(context) as uow:
            if alerts.send_alert(uow, SendAlert(mail, context.clock.now()), mailer):
                sent += 1
            else:
                failed += 1
    return f"{created} récapitulatif(s) préparé(s), {sent} envoyé(s), {failed} en attente de SMTP"


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
        description=(
            "e-mail today's digests (one per structure) and the recovery orders received, and retry those "
            "SMTP refused"
        ),
        # A digest is made at most once a day per structure, an order once per recovery (unique in the
        # database); running often only sends them sooner, and retries what SMTP refused.
        trigger=lambda settings: {
            "trigger": "interval",
            "minutes": _settings(settings).alert_interval_minutes,
        },
        run_at_start=True,
    ),
]
