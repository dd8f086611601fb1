"""Alert digests: at most one e-mail per structure per day, each (obligation, step) told once, retried
while SMTP is down and never sent twice once the server accepted it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.utils import make_msgid
from typing import Any, Protocol

from cnum_shared.core import legal
from cnum_shared.core.money import format_date_fr, month_name_fr
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import Alert, AlertItem, Obligation
from compliance.domain.alerts import ALERTS, AlertEvent, AlertStatus, AlertStep
from compliance.domain.errors import ConcurrentWrite
from compliance.domain.obligations import LABELS, ObligationKind, ObligationStatus, next_month
from compliance.service_layer.commands import CreateDigests, Digest, SendDigest
from compliance.service_layer.unit_of_work import UnitOfWork

ACTOR = "cnum (alertes)"
_STATE = {"due_soon": "à échéance proche", "overdue": "en retard", "escalation": "en retard (relance)"}
#: How strongly a step speaks for its obligation in the e-mail (the strongest is shown).
_STRENGTH = {"due_soon": 0, "reminder_1": 1, "reminder_2": 2, "overdue": 3, "escalation": 4}
#: The steps the programme's cadence brings for activity reports, in place of due soon and overdue.
_REMINDERS = (AlertStep.REMINDER_1.value, AlertStep.REMINDER_2.value)
#: A step to tell: (step, officer_request), 0 for the calendar's steps, n for the officer's n-th request.
Step = tuple[str, int]


class Mailer(Protocol):
    """The digests' way out (the bootstrap's `SmtpMailer`; a list in the unit tests)."""

    @property
    def officer_email(self) -> str: ...

    def deliver(
        self,
        *,
        template: str,
        context: dict[str, Any],
        subject: str,
        to: list[str],
        cc: list[str],
        message_id: str,
        date: datetime,
    ) -> str | None: ...


def message_id_for(alert_id: uuid.UUID) -> str:
    """The same Message-ID on every attempt: a client that receives a retry twice shows it once."""
    return make_msgid(idstring=str(alert_id), domain="cnum.conseiller-numerique.example")


def _months_fr(months: Decimal) -> str:
    """1 → « 1 mois », 1.5 → « 1 mois et demi » (the cadence counts whole and half months only)."""
    whole = int(months)
    return f"{whole} mois" + (" et demi" if months != whole else "")


def _reporting_since(obligation: Obligation, contract_start: date | None) -> date:
    """The first day of a month without any activity report (the contract's start if it began then)."""
    assert obligation.period is not None
    return max(obligation.period, contract_start or obligation.period)


def _cadence(uow: UnitOfWork, obligation: Obligation) -> legal.ActivityReportingCadence:
    """The reporting cadence of the month, read on its last day."""
    assert obligation.period is not None
    return legal.activity_reporting_cadence(
        next_month(obligation.period) - timedelta(days=1), tree=uow.parameters
    )


def _reporting_steps(
    uow: UnitOfWork, obligation: Obligation, as_of: date, contract_start: date | None
) -> list[Step]:
    """The programme's cadence for a month without a report: a reminder after 1 month and another after
    1.5 months, then the compliance officer 15 days later."""
    cadence = _cadence(uow, obligation)
    since = _reporting_since(obligation, contract_start)
    steps: list[Step] = [
        (step, 0)
        for step, day in zip(_REMINDERS, cadence.reminder_dates(since), strict=False)
        if as_of >= day
    ]
    if as_of >= cadence.escalation_date(since):
        steps.append((AlertStep.ESCALATION.value, 0))
    return steps


def steps_of(
    uow: UnitOfWork,
    obligation: Obligation,
    as_of: date,
    escalation_days: int,
    contract_start: date | None,
    officer_told: int,
) -> list[Step]:
    """What there is to tell about a pending obligation on `as_of` (told or not yet)."""
    steps: list[Step]
    if obligation.kind == ObligationKind.ACTIVITY_REPORTING.value:
        steps = _reporting_steps(uow, obligation, as_of, contract_start)
    elif obligation.status == ObligationStatus.DUE_SOON:
        steps = [(AlertStep.DUE_SOON.value, 0)]
    elif obligation.status == ObligationStatus.OVERDUE:
        first_overdue_day = obligation.due_on + timedelta(days=1)
        steps = [(AlertStep.OVERDUE.value, 0)]
        if as_of >= first_overdue_day + timedelta(days=escalation_days):
            steps.append((AlertStep.ESCALATION.value, 0))
    else:
        steps = []
    # An officer's escalation not yet told: the next digest copies the compliance officer, once for all
    # the requests made since the last one told.
    if obligation.escalation_requests > officer_told:
        steps.append((AlertStep.ESCALATION.value, obligation.escalation_requests))
    return steps


def create_digests(uow: UnitOfWork, command: CreateDigests) -> int:
    """Today's digests: what is due soon or overdue and not yet told, grouped by structure."""
    as_of = command.as_of
    escalation_days = legal.escalation_delay_days(as_of, tree=uow.parameters)
    told = uow.alerts.told()
    officer_told = uow.alerts.officer_requests_told()
    already_today = uow.alerts.structures_told_on(as_of)
    items: dict[uuid.UUID, list[tuple[Obligation, Step]]] = defaultdict(list)
    for obligation, contract_start in uow.obligations.to_alert():
        if obligation.structure_id in already_today:
            continue  # one digest a day: what is new waits for tomorrow's
        steps = steps_of(
            uow, obligation, as_of, escalation_days, contract_start, officer_told.get(obligation.id, 0)
        )
        for to_tell in steps:
            if (obligation.id, *to_tell) not in told:
                items[obligation.structure_id].append((obligation, to_tell))
    created = 0
    try:
        for structure_id, found in items.items():
            contact = uow.structures.get(structure_id)
            if contact is None:
                continue
            alert_id = uuid.uuid4()
            # An obligation may be told twice today (overdue and escalation): count obligations, not
            # steps; late means overdue (a reminder about activity reports may come before its due date).
            overdue = len({o.id for o, _ in found if o.status == ObligationStatus.OVERDUE})
            subject = f"Conseiller numérique : {len({o.id for o, _ in found})} obligation(s) à traiter"
            subject += f", dont {overdue} en retard" if overdue else ""
            now = utcnow()
            alert = Alert(
                id=alert_id,
                structure_id=structure_id,
                digest_date=as_of,
                recipients=[contact.email],
                cc=[],
                subject=subject,
                attempts=0,
                last_error=None,
                message_id=message_id_for(alert_id),
                sent_at=None,
                created_at=now,
            )
            ALERTS.start(alert, AlertStatus.PENDING, actor=ACTOR, reason=subject, at=now, log=uow.history)
            uow.alerts.add(
                alert,
                [
                    AlertItem(
                        id=uuid.uuid4(),
                        alert_id=alert_id,
                        obligation_id=obligation.id,
                        step=step,
                        officer_request=officer_request,
                    )
                    for obligation, (step, officer_request) in found
                ],
            )
            created += 1
        uow.commit()
    except ConcurrentWrite:  # another run made today's digests first
        uow.rollback()
        return 0
    return created


def _period_fr(obligation: Obligation) -> str | None:
    """The month of an activity-reporting obligation, the year of a continuing-training one."""
    if obligation.period is None:
        return None
    if obligation.kind == ObligationKind.ACTIVITY_REPORTING.value:
        return f"{month_name_fr(obligation.period)} {obligation.period.year}"
    return str(obligation.period.year)


def _state(
    uow: UnitOfWork, obligation: Obligation, step: str, officer_request: int, contract_start: date | None
) -> str:
    if officer_request:
        return "signalée au chargé de conformité par le service conformité"
    if obligation.kind != ObligationKind.ACTIVITY_REPORTING.value:
        return _STATE[step]
    cadence = _cadence(uow, obligation)
    since = format_date_fr(_reporting_since(obligation, contract_start))
    first, last = (_months_fr(months) for months in (cadence.reminder_months[0], cadence.reminder_months[-1]))
    if step == AlertStep.REMINDER_1:
        return f"aucun compte rendu depuis le {since}, soit {first} (1re relance)"
    if step == AlertStep.REMINDER_2:
        return (
            f"aucun compte rendu depuis le {since}, soit {last} (2e relance : sans compte rendu sous "
            f"{cadence.escalation_days} jours, le chargé de conformité sera saisi)"
        )
    return (
        f"aucun compte rendu depuis le {since}, {cadence.escalation_days} jours après la 2e relance "
        "(le chargé de conformité est saisi)"
    )


def _context(uow: UnitOfWork, alert: Alert) -> dict[str, Any]:
    """What the digest's templates show."""
    escalation_days = legal.escalation_delay_days(alert.digest_date, tree=uow.parameters)
    contact = uow.structures.get(alert.structure_id)
    by_obligation: dict[uuid.UUID, tuple[Obligation, str, int, date | None]] = {}
    for obligation, step, officer_request, contract_start in uow.alerts.told_in(alert.id):
        # The strongest step of an obligation speaks for it (an officer's escalation, then the
        # calendar's escalation, overdue, the reminders, due soon).
        strength = (officer_request > 0, _STRENGTH[step])
        known = by_obligation.get(obligation.id)
        if known is None or strength > (known[2] > 0, _STRENGTH[known[1]]):
            by_obligation[obligation.id] = (obligation, step, officer_request, contract_start)
    shown = by_obligation.values()
    escalation = AlertStep.ESCALATION.value
    reporting = ObligationKind.ACTIVITY_REPORTING.value
    late = any(step == escalation and not officer and o.kind != reporting for o, step, officer, _ in shown)
    reports = any(step == escalation and not officer and o.kind == reporting for o, step, officer, _ in shown)
    return {
        "structure_name": contact.name if contact else "",
        "as_of": format_date_fr(alert.digest_date),
        "escalated": any(step == escalation for _, step, _, _ in shown),
        "escalated_late": late,
        "escalated_reports": reports,
        "escalated_by_officer": any(officer for _, _, officer, _ in shown),
        "escalation_days": escalation_days,
        "items": [
            {
                "label": LABELS[ObligationKind(obligation.kind)],
                "period": _period_fr(obligation),
                "state": _state(uow, obligation, step, officer_request, contract_start),
                "due_on": format_date_fr(obligation.due_on),
                "contract": str(obligation.contract_id)[:8] if obligation.contract_id else None,
            }
            for obligation, step, officer_request, contract_start in shown
        ],
    }


def digests_to_send(uow: UnitOfWork) -> list[Digest]:
    """Every pending digest (today's and those SMTP refused before), ready to mail, the oldest first."""
    digests = []
    for alert in uow.alerts.pending():
        context = _context(uow, alert)
        digests.append(
            Digest(
                alert_id=alert.id,
                subject=alert.subject,
                recipients=tuple(alert.recipients),
                message_id=alert.message_id,
                context=context,
                escalated=bool(context["escalated"]),
            )
        )
    return digests


def send_digest(uow: UnitOfWork, command: SendDigest, mailer: Mailer) -> bool:
    """Mail one digest, then record it sent or the server's refusal (it stays pending for the next run);
    the mail goes before the transaction begins, so no lock is held while SMTP answers."""
    digest = command.digest
    cc = [mailer.officer_email] if digest.escalated else []
    error = mailer.deliver(
        template="digest",
        context=dict(digest.context),
        subject=digest.subject,
        to=list(digest.recipients),
        cc=cc,
        message_id=digest.message_id,
        date=command.now,
    )
    alert = uow.alerts.get(digest.alert_id)
    assert alert is not None
    alert.attempts += 1
    now = utcnow()
    if error is None:
        ALERTS.apply(
            alert,
            AlertEvent.SEND,
            actor=ACTOR,
            reason=f"envoyé à {', '.join(alert.recipients)}",
            at=now,
            log=uow.history,
        )
        alert.sent_at, alert.cc, alert.last_error = now, cc, None
    else:
        ALERTS.apply(alert, AlertEvent.FAIL, actor=ACTOR, reason=error[:1000], at=now, log=uow.history)
        alert.last_error = error[:1000]
    uow.commit()
    return error is None
