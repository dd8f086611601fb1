"""Named, idempotent jobs of the payments service; `python -m payments.jobs list` names them."""

from __future__ import annotations

from datetime import date
from typing import cast

from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.events.relay import relay_outbox_job
from cnum_shared.framework.jobs import Job
from payments.adapters.orm import event_tables
from payments.service_layer import recoveries, smic_checks, tranches
from payments.service_layer.commands import IssueRecoveries, MarkDue, RecheckSmic
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def _unit_of_work(context: ServiceContext) -> PaymentsUnitOfWork:
    return cast(PaymentsUnitOfWork, context.unit_of_work())


def _mark_due(context: ServiceContext, as_of: date) -> str:
    with _unit_of_work(context) as uow:
        return f"{tranches.mark_due(uow, MarkDue(as_of))} tranche(s) échue(s)"


def _smic_recheck(context: ServiceContext, as_of: date) -> str:
    with _unit_of_work(context) as uow:
        made = smic_checks.recheck_at_revaluations(uow, RecheckSmic(as_of))
    return f"{made} contrôle(s) SMIC aux revalorisations"


def _issue_recoveries(context: ServiceContext, as_of: date) -> str:
    with _unit_of_work(context) as uow:
        issued = recoveries.issue_recoveries(uow, IssueRecoveries(as_of))
    return f"{issued} reversement(s) émis"


JOBS: list[Job] = [
    relay_outbox_job(event_tables),
    Job(
        name="mark_due",
        function=_mark_due,
        description="scheduled tranches whose date has come fall due (tranche.due)",
        # Often rather than daily: it is idempotent and cheap (one bulk update), and a newly signed
        # convention whose first tranche is already due, or a supplementary line an avenant adds, shows as
        # due within a minute (the demo's conventions too, relayed just after the scheduler starts).
        trigger={"trigger": "interval", "minutes": 1},
        run_at_start=True,
    ),
    Job(
        name="smic_recheck",
        function=_smic_recheck,
        description="check every running contract against each SMIC revaluation up to the date",
        trigger={"trigger": "cron", "hour": 5, "minute": 45},
        run_at_start=True,
    ),
    Job(
        name="issue_recoveries",
        function=_issue_recoveries,
        description="provisional recoveries whose refill deadline passed are issued (recovery.issued)",
        trigger={"trigger": "cron", "hour": 6, "minute": 0},
        run_at_start=True,
    ),
]
