"""Alert digests on the fake unit of work: what is told before and after a deadline, once each, and how
a digest moves from pending to sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from compliance.domain.alerts import AlertStatus
from compliance.domain.obligations import ObligationEvent, ObligationKind
from compliance.service_layer import alerts
from compliance.service_layer.commands import CreateDigests, DecideObligation, ScanObligations, SendAlert
from compliance.service_layer.obligations import decide_obligation
from compliance.service_layer.scan import scan_obligations
from services.compliance.tests.unit.fakes import (
    FakeMailer,
    FakeUnitOfWork,
    of_kind,
    signed_contract,
    signed_convention,
)

SIGNED = date(2026, 1, 5)
NOW = datetime(2026, 1, 10, 9, tzinfo=UTC)
BASE = "https://cnum.example.gouv.fr"


def _situation(as_of: date) -> tuple[FakeUnitOfWork, object]:
    """A contract signed on 5 January (equipment due that day, training entry 15 days later), scanned."""
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2025, 12, 1), end_date=date(2028, 11, 30))
    signed_contract(uow, convention, signed_on=SIGNED, start_date=SIGNED, end_date=None)
    scan_obligations(uow, ScanObligations(as_of))
    return uow, convention


def _digest(uow: FakeUnitOfWork, as_of: date) -> list[tuple[str, str]]:
    """The items of the day's digests, as (kind, step)."""
    alerts.create_digests(uow, CreateDigests(as_of))
    return sorted(
        (uow.obligations.get(item.obligation_id).kind, item.step)
        for alert in uow.alerts.rows.values()
        if alert.digest_date == as_of
        for item in uow.alerts.items
        if item.alert_id == alert.id
    )


def test_before_its_deadline_an_obligation_is_told_due_soon_and_after_it_overdue():
    as_of = date(2026, 1, 10)
    uow, _ = _situation(as_of)
    assert _digest(uow, as_of) == [("equipment", "overdue"), ("training_entry", "due_soon")]
    [alert] = uow.alerts.rows.values()
    assert alert.subject == "Conseiller numérique : 2 obligation(s) à traiter, dont 1 en retard"
    assert alert.recipients == ["inclusion@letampon.example"]
    assert alert.status is AlertStatus.PENDING and alert.attempts == 0
    [created] = uow.history.of(alert.id)
    assert (created.machine, created.from_status, created.to_status) == ("alert", None, "pending")

    # The training entry passes its due date (20 January): told overdue the next day, once; that day the
    # equipment, overdue since 6 January, reaches its escalation (15 days, read in the test above).
    after = date(2026, 1, 21)
    scan_obligations(uow, ScanObligations(after))
    assert _digest(uow, after) == [("equipment", "escalation"), ("training_entry", "overdue")]


def test_each_step_is_told_once_and_one_digest_a_day():
    as_of = date(2026, 1, 10)
    uow, _ = _situation(as_of)
    assert alerts.create_digests(uow, CreateDigests(as_of)) == 1
    assert alerts.create_digests(uow, CreateDigests(as_of)) == 0
    # The next day: nothing new to tell.
    assert alerts.create_digests(uow, CreateDigests(as_of + timedelta(days=1))) == 0
    assert len(uow.alerts.rows) == 1


def test_after_the_escalation_delay_the_overdue_obligation_is_escalated():
    as_of = date(2026, 1, 10)
    uow, _ = _situation(as_of)
    _digest(uow, as_of)
    [equipment] = of_kind(uow, ObligationKind.EQUIPMENT)
    days = uow.parameters.get("obligations.escalation_days").at(as_of).as_int()
    # Overdue from 6 January: the escalation comes `days` days later, not a day before.
    first_overdue = equipment.due_on + timedelta(days=1)
    day_before = first_overdue + timedelta(days=days - 1)
    assert ("equipment", "escalation") not in _digest(uow, day_before)
    escalation_day = first_overdue + timedelta(days=days)
    assert ("equipment", "escalation") in _digest(uow, escalation_day)


def test_an_officers_escalation_is_told_once_and_copies_the_compliance_officer():
    as_of = date(2026, 1, 10)
    uow, _ = _situation(as_of)
    _digest(uow, as_of)
    [report] = of_kind(uow, ObligationKind.FINAL_REPORT)
    decide_obligation(uow, DecideObligation(report.id, ObligationEvent.ESCALATE, "agent", "silence", as_of))
    assert _digest(uow, as_of + timedelta(days=1)) == [("final_report", "escalation")]
    assert alerts.create_digests(uow, CreateDigests(as_of + timedelta(days=2))) == 0

    mailer = FakeMailer()
    for digest in alerts.alerts_to_send(uow, web_base_url=BASE):
        alerts.send_alert(uow, SendAlert(digest, NOW), mailer)
    officer_copied = [m for m in mailer.sent if m["cc"] == [FakeMailer.officer_email]]
    assert len(officer_copied) == 1
    assert officer_copied[0]["context"]["escalated_by_officer"] is True


def test_a_digest_stays_pending_while_smtp_refuses_then_is_sent_once():
    as_of = date(2026, 1, 10)
    uow, _ = _situation(as_of)
    alerts.create_digests(uow, CreateDigests(as_of))
    [digest] = alerts.alerts_to_send(uow, web_base_url=BASE)
    assert digest.subject == "Conseiller numérique : 2 obligation(s) à traiter, dont 1 en retard"
    assert [item["state"] for item in digest.context["items"]] == ["en retard", "à échéance proche"]

    assert (
        alerts.send_alert(uow, SendAlert(digest, NOW), FakeMailer(refuse="ConnectionRefusedError")) is False
    )
    [alert] = uow.alerts.rows.values()
    assert (alert.status, alert.attempts, alert.last_error) == (
        AlertStatus.PENDING,
        1,
        "ConnectionRefusedError",
    )

    mailer = FakeMailer()
    [retry] = alerts.alerts_to_send(uow, web_base_url=BASE)
    assert alerts.send_alert(uow, SendAlert(retry, NOW), mailer) is True
    assert (alert.status, alert.attempts, alert.last_error, alert.cc) == (AlertStatus.SENT, 2, None, [])
    assert alert.sent_at is not None
    [sent] = mailer.sent
    assert (sent["to"], sent["message_id"], sent["date"]) == (alert.recipients, alert.message_id, NOW)
    assert [(t.event, t.from_status, t.to_status) for t in uow.history.of(alert.id)] == [
        ("create", None, "pending"),
        ("fail", "pending", "pending"),
        ("send", "pending", "sent"),
    ]
    assert alerts.alerts_to_send(uow, web_base_url=BASE) == []
