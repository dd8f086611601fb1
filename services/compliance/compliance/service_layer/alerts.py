"""Alert digests: at most one e-mail per structure per day, each (obligation, step) told once, retried
while SMTP is down and never sent twice once the server accepted it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cnum_shared import legal
from cnum_shared.config import ServiceSettings
from cnum_shared.db import Database, utcnow
from cnum_shared.money import format_date_fr
from compliance.adapters import mail
from compliance.adapters.orm import Alert, AlertItem, Obligation, StructureContact
from compliance.domain.obligations import LABELS, ObligationKind, ObligationStatus

_STATE = {"due_soon": "à échéance proche", "overdue": "en retard", "escalation": "en retard (relance)"}


@dataclass(frozen=True)
class AlertRun:
    created: int
    sent: int
    failed: int


def _steps(obligation: Obligation, as_of: date, escalation_days: int) -> list[str]:
    if obligation.status == ObligationStatus.DUE_SOON.value:
        return ["due_soon"]
    if obligation.status == ObligationStatus.OVERDUE.value:
        first_overdue_day = obligation.due_on + timedelta(days=1)
        late = ["overdue"]
        if as_of >= first_overdue_day + timedelta(days=escalation_days):
            late.append("escalation")
        return late
    return []


def create_digests(database: Database, as_of: date) -> int:
    """Today's digests: what is due soon or overdue and not yet told, grouped by structure."""
    escalation_days = legal.escalation_delay_days(as_of)
    with database.unit_of_work() as uow:
        session = uow.session
        told = {(row[0], row[1]) for row in session.execute(select(AlertItem.obligation_id, AlertItem.step))}
        already_today = set(session.scalars(select(Alert.structure_id).where(Alert.digest_date == as_of)))
        pending = session.scalars(
            select(Obligation)
            .where(Obligation.status.in_((ObligationStatus.DUE_SOON.value, ObligationStatus.OVERDUE.value)))
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
        items: dict[uuid.UUID, list[tuple[Obligation, str]]] = defaultdict(list)
        for obligation in pending:
            if obligation.structure_id in already_today:
                continue  # one digest a day: what is new waits for tomorrow's
            for step in _steps(obligation, as_of, escalation_days):
                if (obligation.id, step) not in told:
                    items[obligation.structure_id].append((obligation, step))
        created = 0
        for structure_id, found in items.items():
            contact = session.get(StructureContact, structure_id)
            if contact is None:
                continue
            alert_id = uuid.uuid4()
            # An obligation may be told twice today (overdue and escalation): count obligations, not steps.
            overdue = len({obligation.id for obligation, step in found if step != "due_soon"})
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
            for obligation, step in found:
                session.add(
                    AlertItem(id=uuid.uuid4(), alert_id=alert_id, obligation_id=obligation.id, step=step)
                )
            created += 1
        try:
            uow.commit()
        except IntegrityError:  # another run made today's digests first
            uow.rollback()
            return 0
        return created


def _context(database: Database, alert: Alert, escalation_days: int) -> dict[str, Any]:
    with database.session() as session:
        contact = session.get(StructureContact, alert.structure_id)
        rows = session.execute(
            select(Obligation, AlertItem.step)
            .join(AlertItem, AlertItem.obligation_id == Obligation.id)
            .where(AlertItem.alert_id == alert.id)
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
    by_obligation: dict[uuid.UUID, tuple[Obligation, str]] = {}
    for obligation, step in rows:
        # The strongest step of an obligation speaks for it (escalation > overdue > due soon).
        if obligation.id not in by_obligation or step == "escalation":
            by_obligation[obligation.id] = (obligation, step)
    return {
        "structure_name": contact.name if contact else "",
        "as_of": format_date_fr(alert.digest_date),
        "escalated": any(step == "escalation" for _, step in by_obligation.values()),
        "escalation_days": escalation_days,
        "items": [
            {
                "label": LABELS[ObligationKind(obligation.kind)],
                "state": _STATE[step],
                "due_on": format_date_fr(obligation.due_on),
                "contract": str(obligation.contract_id)[:8] if obligation.contract_id else None,
            }
            for obligation, step in by_obligation.values()
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
