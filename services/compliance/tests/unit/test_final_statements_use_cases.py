"""Final statements on the fake unit of work: `final_statement.settled` stores one alert per convention when
closing left money to pay or nothing to settle, none when it led to a recovery (its order tells it), and
the mail states payments' figures in French with the link to the statement's PDF."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from compliance.domain.alerts import AlertKind, AlertStatus
from compliance.service_layer import alerts
from compliance.service_layer.commands import RecordFinalStatementSettled, SendAlert, Settlement
from compliance.service_layer.final_statements import record_final_statement_settled
from services.compliance.tests.unit.fakes import FakeMailer, FakeUnitOfWork

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
BASE = "https://cnum.example.gouv.fr/"
NNBSP, NBSP = "\u202f", "\xa0"
CONVENTION = uuid.UUID("0f0e0d0c-0b0a-0908-0706-050403020100")


def settled(settlement: Settlement | None, **changes) -> RecordFinalStatementSettled:
    """Two posts granted 85 000,00, earned 61 250,00, paid 55 000,00: 6 250,00 still to pay."""
    command = RecordFinalStatementSettled(
        convention_id=CONVENTION,
        structure_id=uuid.uuid4(),
        structure_name="Commune du Tampon",
        structure_email="finances@letampon.example",
        occurred_at=NOW,
        convention_reference="CNUM-2024-0042",
        closed_on=date(2026, 12, 31),
        as_of=date(2026, 12, 31),
        granted=Decimal("85000.00"),
        earned=Decimal("61250.00"),
        paid=Decimal("55000.00"),
        balance=Decimal("6250.00"),
        to_pay=Decimal("6250.00"),
        to_recover=Decimal("0.00"),
        in_payment=Decimal("0.00"),
        claimed=Decimal("0.00"),
        to_settle=Decimal("6250.00"),
        settlement=settlement,
    )
    return command if not changes else RecordFinalStatementSettled(**{**command.__dict__, **changes})


def test_a_statement_with_money_to_pay_is_stored_as_a_pending_e_mail_to_the_structure_once():
    uow = FakeUnitOfWork()
    command = settled(Settlement("payment", uuid.uuid4(), Decimal("6250.00")))

    assert record_final_statement_settled(uow, command) is True
    assert record_final_statement_settled(uow, command) is False

    [alert] = uow.alerts.rows.values()
    assert alert.kind is AlertKind.FINAL_STATEMENT
    assert alert.key == "final_statement:0f0e0d0c-0b0a-0908-0706-050403020100"
    assert (alert.status, alert.digest_date, alert.recipients) == (
        AlertStatus.PENDING,
        date(2026, 12, 31),
        ["finances@letampon.example"],
    )
    assert alert.subject == (
        f"Décompte final — convention CNUM-2024-0042 : 6{NNBSP}250,00{NBSP}€ restant à vous verser"
    )
    [statement] = uow.alerts.statements.values()
    assert (statement.settlement_kind, statement.settlement_amount) == ("payment", Decimal("6250.00"))
    assert uow.structures.get(command.structure_id).email == "finances@letampon.example"


def test_a_statement_that_led_to_a_recovery_makes_no_e_mail_of_its_own():
    uow = FakeUnitOfWork()
    command = settled(
        Settlement("recovery", uuid.uuid4(), Decimal("1125.00")),
        balance=Decimal("-1125.00"),
        to_pay=Decimal("0.00"),
        to_recover=Decimal("1125.00"),
        to_settle=Decimal("-1125.00"),
    )

    assert record_final_statement_settled(uow, command) is False
    assert uow.alerts.rows == {} and uow.alerts.statements == {}


def test_the_mail_of_a_statement_with_nothing_left_states_the_figures_and_links_to_its_pdf():
    uow = FakeUnitOfWork()
    # 6 250,00 still to pay, all of it in payment already: closing books nothing.
    record_final_statement_settled(
        uow, settled(None, in_payment=Decimal("6250.00"), to_settle=Decimal("0.00"))
    )
    mailer = FakeMailer()

    [mail] = alerts.alerts_to_send(uow, web_base_url=BASE)
    assert alerts.send_alert(uow, SendAlert(mail, NOW), mailer) is True

    [sent] = mailer.sent
    assert (sent["template"], sent["to"], sent["cc"]) == (
        "final_statement",
        ["finances@letampon.example"],
        [],
    )
    assert sent["subject"] == "Décompte final — convention CNUM-2024-0042 : rien ne reste à régler"
    context = sent["context"]
    assert context["figures"] == [
        f"Subvention accordée : 85{NNBSP}000,00{NBSP}€",
        f"Subvention acquise pour les mois de poste occupés : 61{NNBSP}250,00{NBSP}€",
        f"Déjà versé : 55{NNBSP}000,00{NBSP}€",
        f"Solde (subvention acquise − déjà versé) : 6{NNBSP}250,00{NBSP}€",
        f"En cours de paiement : 6{NNBSP}250,00{NBSP}€",
    ]
    assert (context["last_payment"], context["under_way"]) == (None, True)
    assert context["closed_on"] == context["as_of"] == "31 décembre 2026"
    assert context["statement_url"] == (
        "https://cnum.example.gouv.fr/ma-structure/conventions/0f0e0d0c-0b0a-0908-0706-050403020100/"
        "decompte-final.pdf"
    )
    [alert] = uow.alerts.rows.values()
    assert (alert.status, alert.attempts) == (AlertStatus.SENT, 1)
