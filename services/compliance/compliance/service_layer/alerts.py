"""Alert digests: at most one e-mail per structure per day, each (obligation, step) told once, retried
while SMTP is down and never sent twice once the server accepted it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.core import legal
from cnum_shared.core.money import format_date_fr, month_name_fr
from cnum_shared.framework.config import ServiceSettings
from cnum_shared.framework.db import Database, utcnow
from compliance.adapters import mail
from compliance.adapters.orm import Alert, AlertItem, ContractCopy, Obligation, StructureContact
from compliance.domain.obligations import LABELS, PENDING, ObligationKind, ObligationStatus, next_month

_STATE = {"due_soon": "à échéance proche", "overdue": "en retard", "escalation": "en retard (relance)"}
#: How strongly a step speaks for its obligation in the e-mail (the strongest is shown).
_STRENGTH = {"due_soon": 0, "reminder_1": 1, "reminder_2": 2, "overdue": 3, "escalation": 4}
#: The steps the programme's cadence brings for activity reports, in place of due soon and overdue.
_REMINDERS = ("reminder_1", "reminder_2")
#: A step to tell: (step, officer_request), 0 for the calendar's steps, n for the officer's n-th request.
Step = tuple[str, int]


@dataclass(frozen=True)
class AlertRun:
    created: int
    sent: int
    failed: int


def _months_fr(months: Decimal) -> str:
    """1 → « 1 mois », 1.5 → « 1 mois et demi » (the cadence counts whole and half months only)."""
    whole = int(months)
    return f"{whole} mois" + (" et demi" if months != whole else "")


def _reporting_since(obligation: Obligation, contract_start: date | None) -> date:
    """The first day of a month without any activity report (the contract's start if it began then)."""
    assert obligation.period is not None
    return max(obligation.period, contract_start or obligation.period)


def _reporting_steps(obligation: Obligation, as_of: date, contract_start: date | None) -> list[Step]:
    """The programme's cadence for a month without a report: a reminder after 1 month and another after
    1.5 months, then the compliance officer 15 days later (read on the last day of that month)."""
    assert obligation.period is not None
    cadence = legal.activity_reporting_cadence(next_month(obligation.period) - timedelta(days=1))
    since = _reporting_since(obligation, contract_start)
    steps: list[Step] = [
        (step, 0)
        for step, day in zip(_REMINDERS, cadence.reminder_dates(since), strict=False)
        if as_of >= day
    ]
    if as_of >= cadence.escalation_date(since):
        steps.append(("escalation", 0))
    return steps


def _steps(
    obligation: Obligation, as_of: date, escalation_days: int, contract_start: date | None, officer_told: int
) -> list[Step]:
    """What there is to tell about a pending obligation on `as_of` (told or not yet)."""
    steps: list[Step]
    if obligation.kind == ObligationKind.ACTIVITY_REPORTING.value:
        steps = _reporting_steps(obligation, as_of, contract_start)
    elif obligation.status == ObligationStatus.DUE_SOON.value:
        steps = [("due_soon", 0)]
    elif obligation.status == ObligationStatus.OVERDUE.value:
        first_overdue_day = obligation.due_on + timedelta(days=1)
        steps = [("overdue", 0)]
        if as_of >= first_overdue_day + timedelta(days=escalation_days):
            steps.append(("escalation", 0))
    else:
        steps = []
    # An officer's escalation not yet told: the next digest copies the compliance officer, once for all
    # the requests made since the last one told.
    if obligation.escalation_requests > officer_told:
        steps.append(("escalation", obligation.escalation_requests))
    return steps


def create_digests(database: Database, as_of: date) -> int:
    """Today's digests: what is due soon or overdue and not yet told, grouped by structure."""
    escalation_days = legal.escalation_delay_days(as_of)
    with database.unit_of_work() as uow:
        session = uow.session
        told = {
            (row[0], row[1], row[2])
            for row in session.execute(
                select(AlertItem.obligation_id, AlertItem.step, AlertItem.officer_request)
            )
        }
        officer_told = dict(
            session.execute(
                select(AlertItem.obligation_id, func.max(AlertItem.officer_request))
                .where(AlertItem.officer_request > 0)
                .group_by(AlertItem.obligation_id)
            ).all()
        )
        already_today = set(session.scalars(select(Alert.structure_id).where(Alert.digest_date == as_of)))
        # Due soon and overdue obligations; activity reports from the month after theirs (the reminders
        # come before their due date); any pending obligation an officer escalated.
        pending = session.execute(
            select(Obligation, ContractCopy.start_date)
            .outerjoin(ContractCopy, ContractCopy.contract_id == Obligation.contract_id)
            .where(
                Obligation.status.in_([status.value for status in PENDING]),
                or_(
                    Obligation.status.in_((ObligationStatus.DUE_SOON.value, ObligationStatus.OVERDUE.value)),
                    Obligation.kind == ObligationKind.ACTIVITY_REPORTING.value,
                    Obligation.escalation_requests > 0,
                ),
            )
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
        items: dict[uuid.UUID, list[tuple[Obligation, Step]]] = defaultdict(list)
        for obligation, contract_start in pending:
            if obligation.structure_id in already_today:
                continue  # one digest a day: what is new waits for tomorrow's
            steps = _steps(
                obligation, as_of, escalation_days, contract_start, officer_told.get(obligation.id, 0)
            )
            for to_tell in steps:
                if (obligation.id, *to_tell) not in told:
                    items[obligation.structure_id].append((obligation, to_tell))
        created = 0
        for structure_id, found in items.items():
            contact = session.get(StructureContact, structure_id)
            if contact is None:
                continue
            alert_id = uuid.uuid4()
            # An obligation may be told twice today (overdue and escalation): count obligations, not steps;
            # late means overdue (a reminder about activity reports may come before their due date).
            overdue = len({o.id for o, _ in found if o.status == ObligationStatus.OVERDUE.value})
            subject = f"Conseiller numérique : {len({o.id for o, _ in found})} obligation(s) à traiter"
            subject += f", dont {overdue} en retard" if overdue else ""
            session.add(
                Alert(
                    id=alert_id,
                    structure_id=structure_id,
                    digest_date=as_of,
                    recipients=[contact.email],
                    cc=[],
                    subject=subject,
                    status="pending",
                    attempts=0,
                    last_error=None,
                    message_id=mail.message_id_for(str(alert_id)),
                    sent_at=None,
                    created_at=utcnow(),
                )
            )
            session.flush()
            for obligation, (step, officer_request) in found:
                session.add(
                    AlertItem(
                        id=uuid.uuid4(),
                        alert_id=alert_id,
                        obligation_id=obligation.id,
                        step=step,
                        officer_request=officer_request,
                    )
                )
            created += 1
        try:
            uow.commit()
        except IntegrityError:  # another run made today's digests first
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


def _state(obligation: Obligation, step: str, officer_request: int, contract_start: date | None) -> str:
    if officer_request:
        return "signalée au chargé de conformité par le service conformité"
    if obligation.kind != ObligationKind.ACTIVITY_REPORTING.value:
        return _STATE[step]
    assert obligation.period is not None
    cadence = legal.activity_reporting_cadence(next_month(obligation.period) - timedelta(days=1))
    since = format_date_fr(_reporting_since(obligation, contract_start))
    first, last = (_months_fr(months) for months in (cadence.reminder_months[0], cadence.reminder_months[-1]))
    if step == "reminder_1":
        return f"aucun compte rendu depuis le {since}, soit {first} (1re relance)"
    if step == "reminder_2":
        return (
            f"aucun compte rendu depuis le {since}, soit {last} (2e relance : sans compte rendu sous "
            f"{cadence.escalation_days} jours, le chargé de conformité sera saisi)"
        )
    return (
        f"aucun compte rendu depuis le {since}, {cadence.escalation_days} jours après la 2e relance "
        "(le chargé de conformité est saisi)"
    )


def _context(database: Database, alert: Alert, escalation_days: int) -> dict[str, Any]:
    with database.session() as session:
        contact = session.get(StructureContact, alert.structure_id)
        rows = session.execute(
            select(Obligation, AlertItem.step, AlertItem.officer_request, ContractCopy.start_date)
            .join(AlertItem, AlertItem.obligation_id == Obligation.id)
            .outerjoin(ContractCopy, ContractCopy.contract_id == Obligation.contract_id)
            .where(AlertItem.alert_id == alert.id)
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
    by_obligation: dict[uuid.UUID, tuple[Obligation, str, int, date | None]] = {}
    for obligation, step, officer_request, contract_start in rows:
        # The strongest step of an obligation speaks for it (an officer's escalation, then the
        # calendar's escalation, overdue, the reminders, due soon).
        strength = (officer_request > 0, _STRENGTH[step])
        known = by_obligation.get(obligation.id)
        if known is None or strength > (known[2] > 0, _STRENGTH[known[1]]):
            by_obligation[obligation.id] = (obligation, step, officer_request, contract_start)
    shown = by_obligation.values()
    late = any(
        step == "escalation" and not officer and o.kind != ObligationKind.ACTIVITY_REPORTING.value
        for o, step, officer, _ in shown
    )
    reports = any(
        step == "escalation" and not officer and o.kind == ObligationKind.ACTIVITY_REPORTING.value
        for o, step, officer, _ in shown
    )
    return {
        "structure_name": contact.name if contact else "",
        "as_of": format_date_fr(alert.digest_date),
        "escalated": any(step == "escalation" for _, step, _, _ in shown),
        "escalated_late": late,
        "escalated_reports": reports,
        "escalated_by_officer": any(officer for _, _, officer, _ in shown),
        "escalation_days": escalation_days,
        "items": [
            {
                "label": LABELS[ObligationKind(obligation.kind)],
                "period": _period_fr(obligation),
                "state": _state(obligation, step, officer_request, contract_start),
                "due_on": format_date_fr(obligation.due_on),
                "contract": str(obligation.contract_id)[:8] if obligation.contract_id else None,
            }
            for obligation, step, officer_request, contract_start in shown
        ],
    }


def send_pending(database: Database, settings: ServiceSettings, now: datetime) -> tuple[int, int]:
    """Send every pending digest (today's and those SMTP refused before); count sent and failed."""
    with database.session() as session:
        pending = session.scalars(
            select(Alert).where(Alert.status == "pending").order_by(Alert.created_at)
        ).all()
    sent = failed = 0
    for alert in pending:
        escalation_days = legal.escalation_delay_days(alert.digest_date)
        context = _context(database, alert, escalation_days)
        cc = [settings.compliance_officer_email] if context["escalated"] else []
        message = mail.compose(
            template="digest",
            context=context,
            subject=alert.subject,
            sender=settings.mail_from,
            to=list(alert.recipients),
            cc=cc,
            message_id=alert.message_id,
            date=now,
        )
        error: str | None = None
        try:
            mail.send(message, settings.smtp_host, settings.smtp_port)
        except mail.MailNotSent as refused:
            error = str(refused)
        with database.unit_of_work() as uow:
            row = uow.session.get(Alert, alert.id)
            assert row is not None
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.cc, row.last_error = "sent", utcnow(), cc, None
                sent += 1
            else:
                row.last_error = error[:1000]
                failed += 1
            uow.commit()
    return sent, failed


def run_alerts(database: Database, settings: ServiceSettings, as_of: date, now: datetime) -> AlertRun:
    """The `send_alerts` job."""
    created = create_digests(database, as_of)
    sent, failed = send_pending(database, settings, now)
    return AlertRun(created=created, sent=sent, failed=failed)
