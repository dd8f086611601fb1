"""Alerts: e-mails to the structures, stored pending, retried while SMTP is down and never sent twice once
the server accepted it (a unique key per alert, the same Message-ID on every attempt).

Three kinds: the digest (at most one per structure per day, each (obligation, step) told once), the order
to repay a recovery (one per recovery, recorded by `recovery_orders`) and the final statement of a closed
convention that leaves nothing to recover (one per convention, recorded by `final_statements`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.utils import make_msgid
from typing import Any, Protocol

from cnum_shared.core import legal
from cnum_shared.core.money import format_date_fr, format_eur_fr, month_name_fr
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import Alert, AlertItem, FinalStatement, Obligation, RecoveryOrder
from compliance.domain.alerts import (
    ALERTS,
    RECOVERY_REASONS,
    AlertEvent,
    AlertKind,
    AlertStatus,
    AlertStep,
    alert_key,
)
from compliance.domain.errors import ConcurrentWrite
from compliance.domain.obligations import LABELS, ObligationKind, ObligationStatus, next_month
from compliance.service_layer.commands import AlertMail, CreateDigests, SendAlert
from compliance.service_layer.unit_of_work import UnitOfWork

ACTOR = "cnum (alertes)"
_STATE = {"due_soon": "à échéance proche", "overdue": "en retard", "escalation": "en retard (relance)"}
#: How strongly a step speaks for its obligation in the e-mail (the strongest is shown).
_STRENGTH = {"due_soon": 0, "reminder_1": 1, "reminder_2": 2, "overdue": 3, "escalation": 4}
#: The steps the programme's cadence brings for activity reports, in place of due soon and overdue.
_REMINDERS = (AlertStep.REMINDER_1.value, AlertStep.REMINDER_2.value)
#: A step to tell: (step, officer_request), 0 for the calendar's steps, n for the officer's n-th request.
Step = tuple[str, int]


#: Where the e-mails lead, on the web front (services/web, decision 0044): each page asks the structure to
#: sign in first, then shows what is its own only.
STRUCTURE_HOME = "/ma-structure"


def obligation_page(web_base_url: str, obligation_id: uuid.UUID) -> str:
    """The structure's page for one obligation: what is owed, by when, and the form to send a proof."""
    return f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}/obligations/{obligation_id}"


def recovery_order_document(web_base_url: str, recovery_id: uuid.UUID) -> str:
    """The order to repay a recovery, as a PDF."""
    return f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}/ordres-de-reversement/{recovery_id}.pdf"


def final_statement_document(web_base_url: str, convention_id: uuid.UUID) -> str:
    """The final statement (décompte final) of a closed convention, as a PDF."""
    return f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}/conventions/{convention_id}/decompte-final.pdf"


class Mailer(Protocol):
    """The alerts' way out (the bootstrap's `SmtpMailer`; a list in the unit tests)."""

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


def open_alert(
    uow: UnitOfWork,
    *,
    kind: AlertKind,
    about: str,
    structure_id: uuid.UUID,
    on: date,
    recipients: list[str],
    subject: str,
) -> Alert:
    """A new alert, pending (with its first history row); the caller adds it to its repository."""
    alert_id = uuid.uuid4()
    now = utcnow()
    alert = Alert(
        id=alert_id,
        kind=kind,
        key=alert_key(kind, about),
        structure_id=structure_id,
        digest_date=on,
        recipients=recipients,
        cc=[],
        subject=subject,
        attempts=0,
        last_error=None,
        message_id=message_id_for(alert_id),
        sent_at=None,
        created_at=now,
    )
    ALERTS.start(alert, AlertStatus.PENDING, actor=ACTOR, reason=subject, at=now, log=uow.history)
    return alert


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
            # An obligation may be told twice today (overdue and escalation): count obligations, not
            # steps; late means overdue (a reminder about activity reports may come before its due date).
            overdue = len({o.id for o, _ in found if o.status == ObligationStatus.OVERDUE})
            subject = f"Conseiller numérique : {len({o.id for o, _ in found})} obligation(s) à traiter"
            subject += f", dont {overdue} en retard" if overdue else ""
            alert = open_alert(
                uow,
                kind=AlertKind.DIGEST,
                about=f"{structure_id}:{as_of.isoformat()}",
                structure_id=structure_id,
                on=as_of,
                recipients=[contact.email],
                subject=subject,
            )
            uow.alerts.add(
                alert,
                [
                    AlertItem(
                        id=uuid.uuid4(),
                        alert_id=alert.id,
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


def _context(uow: UnitOfWork, alert: Alert, web_base_url: str) -> dict[str, Any]:
    """What the digest's templates show: each obligation with the link to its page."""
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
        "home_url": f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}",
        "items": [
            {
                "label": LABELS[ObligationKind(obligation.kind)],
                "period": _period_fr(obligation),
                "state": _state(uow, obligation, step, officer_request, contract_start),
                "due_on": format_date_fr(obligation.due_on),
                # The contract by its start, as the structure knows it (never by an id).
                "contract": format_date_fr(contract_start)
                if obligation.contract_id and contract_start
                else None,
                "url": obligation_page(web_base_url, obligation.id),
            }
            for obligation, step, officer_request, contract_start in shown
        ],
    }


def _order_context(uow: UnitOfWork, alert: Alert, web_base_url: str) -> dict[str, Any]:
    """What the order's templates show: the figures payments carried, in French, and the links to the
    order's PDF (and to the final statement it comes from) on the web front."""
    order = uow.alerts.order_of(alert.id)
    assert order is not None
    contact = uow.structures.get(alert.structure_id)
    return {
        "structure_name": contact.name if contact else "",
        "convention_reference": order.convention_reference,
        "reason": RECOVERY_REASONS[order.kind],
        "amount": format_eur_fr(order.amount),
        "issued_on": format_date_fr(order.issued_on),
        "pay_by": format_date_fr(order.pay_by),
        "repayment_delay_days": order.repayment_delay_days,
        "computation": computation_lines(order),
        "account_name": order.account_name,
        "iban": _grouped(order.iban),
        "bic": order.bic,
        "payment_reference": order.payment_reference,
        "document_url": recovery_order_document(web_base_url, order.recovery_id),
        "statement_url": (
            final_statement_document(web_base_url, order.convention_id)
            if order.kind == "final_statement"
            else None
        ),
        "home_url": f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}",
    }


def _statement_context(uow: UnitOfWork, alert: Alert, web_base_url: str) -> dict[str, Any]:
    """What the final statement's templates show: the figures payments carried, in French, what closing
    booked (the last payment to the structure, or nothing), and the link to the statement's PDF."""
    statement = uow.alerts.statement_of(alert.id)
    assert statement is not None
    contact = uow.structures.get(alert.structure_id)
    return {
        "structure_name": contact.name if contact else "",
        "convention_reference": statement.convention_reference,
        "closed_on": format_date_fr(statement.closed_on),
        "as_of": format_date_fr(statement.as_of),
        "figures": statement_lines(statement),
        "last_payment": (
            format_eur_fr(statement.settlement_amount) if statement.settlement_amount is not None else None
        ),
        "under_way": bool(statement.in_payment or statement.claimed),
        "statement_url": final_statement_document(web_base_url, statement.convention_id),
        "home_url": f"{web_base_url.rstrip('/')}{STRUCTURE_HOME}",
    }


def _grouped(iban: str) -> str:
    """An IBAN in groups of four, as a person copies it (the paper format of ISO 13616)."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _eur(value: object) -> str:
    return format_eur_fr(Decimal(str(value)))


def computation_lines(order: RecoveryOrder) -> list[str]:
    """The computation of the recovery in a few French lines, from the figures payments carried (the
    shape of `computation` depends on the recovery's kind, decision 0030)."""
    figures = order.computation
    if order.kind == "final_statement" and isinstance(figures, dict):
        lines = [
            f"Décompte final de la convention au {format_date_fr(date.fromisoformat(str(figures['as_of'])))}",
            *_statement_figures(
                **{
                    name: Decimal(str(figures[name]))
                    for name in ("granted", "earned", "paid", "in_payment", "claimed")
                }
            ),
        ]
    elif order.kind == "regularisation" and isinstance(figures, dict):
        settled = "versé" if figures.get("status") == "paid" else "approuvé"
        lines = [
            f"Tranche n° {figures['tranche']} ramenée par l'avenant à {_eur(figures['signed'])}",
            f"Montant déjà {settled} pour cette tranche : {_eur(figures['already'])}",
            f"Différence : {_eur(figures['difference'])}",
        ]
    elif order.kind == "post_ended" and isinstance(figures, list):
        lines = [f"Poste occupé {order.months_started} mois (chaque mois commencé compte)"]
        lines += [
            f"Période {period['period']} : {period['months']} mois × {_eur(period['monthly_rate'])} "
            f"= {_eur(period['earned'])}"
            for period in figures
        ]
        if order.earned is not None:
            lines.append(f"Subvention acquise pour le poste : {format_eur_fr(order.earned)}")
        if order.paid_per_post is not None:
            lines.append(f"Déjà versé pour le poste : {format_eur_fr(order.paid_per_post)}")
    else:
        lines = []
    lines.append(f"Montant à reverser : {format_eur_fr(order.amount)}")
    return lines


def _statement_figures(
    *,
    granted: Decimal,
    earned: Decimal,
    paid: Decimal,
    in_payment: Decimal,
    claimed: Decimal,
    balance: Decimal | None = None,
) -> list[str]:
    """A final statement's figures in French, as payments computed them (what is under way only when
    something is)."""
    lines = [
        f"Subvention accordée : {format_eur_fr(granted)}",
        f"Subvention acquise pour les mois de poste occupés : {format_eur_fr(earned)}",
        f"Déjà versé : {format_eur_fr(paid)}",
    ]
    if balance is not None:
        lines.append(f"Solde (subvention acquise − déjà versé) : {format_eur_fr(balance)}")
    if in_payment:
        lines.append(f"En cours de paiement : {format_eur_fr(in_payment)}")
    if claimed:
        lines.append(f"Reversements déjà demandés : {format_eur_fr(claimed)}")
    return lines


def statement_lines(statement: FinalStatement) -> list[str]:
    """A closed convention's final statement in a few French lines, from the figures payments carried."""
    return _statement_figures(
        granted=statement.granted,
        earned=statement.earned,
        paid=statement.paid,
        in_payment=statement.in_payment,
        claimed=statement.claimed,
        balance=statement.balance,
    )


def alerts_to_send(uow: UnitOfWork, *, web_base_url: str) -> list[AlertMail]:
    """Every pending alert (new ones and those SMTP refused before), ready to mail, the oldest first.

    `web_base_url`: where the structures reach the web front, which the e-mails link to.
    """
    mails = []
    for alert in uow.alerts.pending():
        if alert.kind == AlertKind.RECOVERY_ORDER:
            context = _order_context(uow, alert, web_base_url)
            copy_officer = False
        elif alert.kind == AlertKind.FINAL_STATEMENT:
            context = _statement_context(uow, alert, web_base_url)
            copy_officer = False
        else:
            context = _context(uow, alert, web_base_url)
            copy_officer = bool(context["escalated"])
        mails.append(
            AlertMail(
                alert_id=alert.id,
                template=alert.kind.value,
                subject=alert.subject,
                recipients=tuple(alert.recipients),
                message_id=alert.message_id,
                context=context,
                copy_officer=copy_officer,
            )
        )
    return mails


def send_alert(uow: UnitOfWork, command: SendAlert, mailer: Mailer) -> bool:
    """Mail one alert, then record it sent or the server's refusal (it stays pending for the next run);
    the mail goes before the transaction begins, so no lock is held while SMTP answers."""
    mail = command.mail
    cc = [mailer.officer_email] if mail.copy_officer else []
    error = mailer.deliver(
        template=mail.template,
        context=dict(mail.context),
        subject=mail.subject,
        to=list(mail.recipients),
        cc=cc,
        message_id=mail.message_id,
        date=command.now,
    )
    alert = uow.alerts.get(mail.alert_id)
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
