"""Recovery orders on the fake unit of work: `recovery.issued` stores one alert per recovery, mailed by the
digests' machinery (pending, retried, sent once) with its figures in French."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from compliance.domain.alerts import AlertKind, AlertStatus
from compliance.service_layer import alerts
from compliance.service_layer.commands import (
    Account,
    CreateDigests,
    RecordRecoveryIssued,
    ScanObligations,
    SendAlert,
)
from compliance.service_layer.conventions import update_contact
from compliance.service_layer.recovery_orders import record_recovery_issued
from compliance.service_layer.scan import scan_obligations
from services.compliance.tests.unit.fakes import (
    FakeMailer,
    FakeUnitOfWork,
    contact,
    signed_contract,
    signed_convention,
)

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
BASE = "https://cnum.example.gouv.fr"
NNBSP, NBSP = "\u202f", "\xa0"
IBAN = "FR7640031000010000000123456"


def issued(**changes) -> RecordRecoveryIssued:
    """A final statement's recovery: earned 21 875,00 of 70 000,00 granted, 23 000,00 paid."""
    command = RecordRecoveryIssued(
        recovery_id=uuid.UUID("0f0e0d0c-0b0a-0908-0706-050403020100"),
        convention_id=uuid.uuid4(),
        structure_id=uuid.uuid4(),
        structure_name="Commune du Tampon",
        structure_email="finances@letampon.example",
        occurred_at=NOW,
        convention_reference="CN-2024-0042",
        kind="final_statement",
        amount=Decimal("1125.00"),
        issued_on=date(2026, 12, 31),
        pay_by=date(2027, 1, 30),
        repayment_delay_days=30,
        payment_reference="CNR0F0E0D0C0B0A09080706050403020100",
        pay_to=Account("Caisse des Dépôts - Conseiller numérique", IBAN, "CDCGFRPPXXX"),
        computation={
            "as_of": "2026-12-31",
            "granted": "70000.00",
            "earned": "21875.00",
            "paid": "23000.00",
            "balance": "-1125.00",
            "in_payment": "0.00",
            "claimed": "0.00",
            "to_settle": "-1125.00",
        },
        contract_id=None,
        months_started=30,
        earned=Decimal("21875.00"),
        paid_per_post=None,
    )
    return command if not changes else RecordRecoveryIssued(**{**command.__dict__, **changes})


def test_an_issued_recovery_is_stored_as_a_pending_order_to_the_structure_once():
    uow = FakeUnitOfWork()
    command = issued()

    assert record_recovery_issued(uow, command) is True
    assert record_recovery_issued(uow, command) is False

    [alert] = uow.alerts.rows.values()
    assert alert.kind is AlertKind.RECOVERY_ORDER
    assert alert.key == "recovery_order:0f0e0d0c-0b0a-0908-0706-050403020100"
    assert alert.status is AlertStatus.PENDING and alert.attempts == 0
    assert alert.recipients == ["finances@letampon.example"]
    assert alert.digest_date == date(2026, 12, 31)
    # 1 125,00 € as French typography writes it: narrow no-break space, no-break space before the sign.
    assert alert.subject == (
        f"Ordre de reversement — convention CN-2024-0042 : 1{NNBSP}125,00{NBSP}€ à reverser avant le "
        "30 janvier 2027"
    )
    [created] = uow.history.of(alert.id)
    assert (created.machine, created.from_status, created.to_status) == ("alert", None, "pending")
    order = uow.alerts.order_of(alert.id)
    assert (order.amount, order.payment_reference, order.iban) == (
        Decimal("1125.00"),
        "CNR0F0E0D0C0B0A09080706050403020100",
        "FR7640031000010000000123456",
    )
    # The structure compliance had not heard of yet: its contact from the event.
    contact = uow.structures.get(command.structure_id)
    assert (contact.email, contact.last_sequence) == ("finances@letampon.example", None)
    assert uow.commits == 0  # the inbox commits


def test_the_order_of_a_known_structure_goes_to_the_address_its_event_carries_and_keeps_the_contact():
    uow = FakeUnitOfWork()
    command = issued()

    update_contact(uow, contact(command.structure_id, sequence=7, email="mairie@letampon.example"))
    record_recovery_issued(uow, command)

    [alert] = uow.alerts.rows.values()
    assert alert.recipients == ["finances@letampon.example"]
    known = uow.structures.get(command.structure_id)
    assert (known.email, known.last_sequence) == ("mairie@letampon.example", 7)


def test_the_order_is_mailed_with_its_figures_and_stays_pending_while_smtp_refuses():
    uow = FakeUnitOfWork()
    command = issued()
    record_recovery_issued(uow, command)

    [mail] = alerts.alerts_to_send(uow, web_base_url=BASE + "/")
    assert mail.template == "recovery_order" and mail.copy_officer is False
    assert alerts.send_alert(uow, SendAlert(mail, NOW), FakeMailer(refuse="ConnectionRefusedError")) is False
    mailer = FakeMailer()
    [retry] = alerts.alerts_to_send(uow, web_base_url=BASE)
    assert alerts.send_alert(uow, SendAlert(retry, NOW), mailer) is True
    assert alerts.alerts_to_send(uow, web_base_url=BASE) == []

    [alert] = uow.alerts.rows.values()
    [sent] = mailer.sent
    assert (alert.status, alert.attempts) == (AlertStatus.SENT, 2)
    assert (sent["to"], sent["cc"]) == (["finances@letampon.example"], [])
    assert mail.message_id == retry.message_id == alert.message_id
    assert [(t.event, t.to_status) for t in uow.history.of(alert.id)] == [
        ("create", "pending"),
        ("fail", "pending"),
        ("send", "sent"),
    ]
    context = sent["context"]
    assert context["reason"] == "décompte final"
    assert context["amount"] == f"1{NNBSP}125,00{NBSP}€"
    assert context["pay_by"] == "30 janvier 2027"
    assert context["iban"] == "FR76 4003 1000 0100 0000 0123 456"
    assert context["payment_reference"] == "CNR0F0E0D0C0B0A09080706050403020100"
    # The web front's pages, through the sign-in (decision 0044): the order, and the statement it comes from.
    assert context["document_url"] == (
        f"{BASE}/ma-structure/ordres-de-reversement/0f0e0d0c-0b0a-0908-0706-050403020100.pdf"
    )
    assert (
        context["statement_url"]
        == f"{BASE}/ma-structure/conventions/{command.convention_id}/decompte-final.pdf"
    )
    assert context["home_url"] == f"{BASE}/ma-structure"
    # 70 000,00 granted; 21 875,00 earned; 23 000,00 paid: 23 000,00 − 21 875,00 = 1 125,00 to repay.
    assert context["computation"] == [
        "Décompte final de la convention au 31 décembre 2026",
        f"Subvention accordée : 70{NNBSP}000,00{NBSP}€",
        f"Subvention acquise pour les mois de poste occupés : 21{NNBSP}875,00{NBSP}€",
        f"Déjà versé : 23{NNBSP}000,00{NBSP}€",
        f"Montant à reverser : 1{NNBSP}125,00{NBSP}€",
    ]


def test_an_avenants_order_tells_the_tranche_it_reduced():
    uow = FakeUnitOfWork()
    # Tranche 1 paid 35 000,00 for two posts; the avenant brings it to 17 500,00 for one.
    record_recovery_issued(
        uow,
        issued(
            kind="regularisation",
            amount=Decimal("17500.00"),
            computation={
                "tranche": 1,
                "signed": "17500.00",
                "already": "35000.00",
                "status": "paid",
                "difference": "-17500.00",
            },
            months_started=0,
            earned=None,
        ),
    )

    [mail] = alerts.alerts_to_send(uow, web_base_url=BASE)

    assert mail.context["reason"] == "avenant"
    assert mail.context["statement_url"] is None  # an avenant's order comes from no final statement
    assert mail.context["computation"] == [
        f"Tranche n° 1 ramenée par l'avenant à 17{NNBSP}500,00{NBSP}€",
        f"Montant déjà versé pour cette tranche : 35{NNBSP}000,00{NBSP}€",
        f"Différence : -17{NNBSP}500,00{NBSP}€",
        f"Montant à reverser : 17{NNBSP}500,00{NBSP}€",
    ]


def test_an_order_and_the_digest_of_the_same_day_are_both_kept():

    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2025, 12, 1), end_date=date(2028, 11, 30))
    signed_contract(uow, convention, signed_on=date(2026, 1, 5), start_date=date(2026, 1, 5), end_date=None)
    record_recovery_issued(uow, issued(structure_id=convention.structure_id, issued_on=date(2026, 1, 10)))
    scan_obligations(uow, ScanObligations(date(2026, 1, 10)))

    assert alerts.create_digests(uow, CreateDigests(date(2026, 1, 10))) == 1
    assert sorted(a.kind.value for a in uow.alerts.rows.values()) == ["digest", "recovery_order"]


def test_a_posts_order_tells_its_months_and_periods():
    uow = FakeUnitOfWork()
    # A post occupied 5 months of its first period at 2 083,33 a month: 10 416,65 earned of 20 000,00
    # paid for it; 20 000,00 − 10 416,65 = 9 583,35 to repay.
    record_recovery_issued(
        uow,
        issued(
            kind="post_ended",
            amount=Decimal("9583.35"),
            computation=[{"period": 1, "months": 5, "monthly_rate": "2083.33", "earned": "10416.65"}],
            contract_id=uuid.uuid4(),
            months_started=5,
            earned=Decimal("10416.65"),
            paid_per_post=Decimal("20000.00"),
        ),
    )

    [mail] = alerts.alerts_to_send(uow, web_base_url=BASE)

    assert mail.context["reason"] == "fin de poste"
    assert mail.context["computation"] == [
        "Poste occupé 5 mois (chaque mois commencé compte)",
        f"Période 1 : 5 mois × 2{NNBSP}083,33{NBSP}€ = 10{NNBSP}416,65{NBSP}€",
        f"Subvention acquise pour le poste : 10{NNBSP}416,65{NBSP}€",
        f"Déjà versé pour le poste : 20{NNBSP}000,00{NBSP}€",
        f"Montant à reverser : 9{NNBSP}583,35{NBSP}€",
    ]
