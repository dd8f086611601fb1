"""Issue 18, point 2: a recovery payments issues is e-mailed to the structure (ordre de reversement) with
the alerts' machinery: stored, sent once to the real SMTP server on 127.0.0.1, retried while it is down.

The producers are real: a legal officer makes, signs and closes the convention through the conventions
API, finance officers pay through the payments API, and every outbox is delivered to its consumers'
`POST /api/v1/events` as the relays post them (compliance's standing included). Every expected figure is
worked out here by hand from DESIGN §3/§4 (decision 0030).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from cnum_shared.framework.mailsink import MailSink
from services.compliance.tests.api.programme import (
    END,
    NBSP,
    NNBSP,
    WEB_BASE_URL,
    bodies,
    overpaid_convention_closed,
)


def test_a_recovery_issued_at_closing_is_mailed_to_the_structure_once_smtp_is_back(
    programme, smtp_port, tmp_path
):
    structure, convention = overpaid_convention_closed(programme)

    # Cantal, public, initial wave: 50 000,00 a post over 24 months, in tranches of 40 %, 40 %, 20 %:
    # 20 000,00 at the signature and 20 000,00 a year after, both paid: 40 000,00. The post is occupied
    # from March 2021 (month 1) to June 2022 (month 16): 50 000,00 × 16 ÷ 24 = 33 333,333… → 33 333,33.
    # Closing owes back 40 000,00 − 33 333,33 = 6 666,67, to pay within the 30 days the convention states
    # (convention.yaml, repayment_delay_days): by 28 February 2023 + 30 days = 30 March 2023.
    earned = (Decimal("50000.00") * 16 / 24).quantize(Decimal("0.01"))
    amount = Decimal("40000.00") - earned
    assert amount == Decimal("6666.67")
    pay_by = END + timedelta(days=30)
    assert pay_by == date(2023, 3, 30)
    [recovery] = [
        r
        for r in programme.call(
            "payments", "GET", f"/conventions/{convention['id']}/balance", 200, role="finance"
        )["recoveries"]
        if r["kind"] == "final_statement"
    ]
    reference = "CNR" + uuid.UUID(recovery["id"]).hex.upper()

    # SMTP is down: the order waits, pending, with the server's refusal.
    down = programme.send_alerts(date(2023, 3, 1))
    [waiting] = programme.alerts()
    assert down == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 1 en attente de SMTP"
    assert (waiting["kind"], waiting["kind_label"], waiting["status"], waiting["attempts"]) == (
        "recovery_order",
        "ordre de reversement",
        "pending",
        1,
    )
    assert "ConnectionRefusedError" in waiting["last_error"]

    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        back = programme.send_alerts(date(2023, 3, 2))
        again = programme.send_alerts(date(2023, 3, 2))
        [message] = smtp.messages()
    [sent] = programme.alerts()

    assert back == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert again == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 0 en attente de SMTP"
    assert (sent["status"], sent["attempts"], sent["message_id"]) == ("sent", 2, message["Message-ID"])
    assert waiting["message_id"] == sent["message_id"]
    assert sent["recovery"] == {
        "recovery_id": recovery["id"],
        "convention_id": convention["id"],
        "convention_reference": convention["reference"],
        "kind": "final_statement",
        "reason": "décompte final",
        "amount": "6666.67",
        "issued_on": "2023-02-28",
        "pay_by": "2023-03-30",
        "payment_reference": reference,
    }

    assert message["To"] == structure["email"] == "mediation-numerique@saint-flour.example"
    assert message["Cc"] is None
    assert message["Subject"] == (
        f"Ordre de reversement — convention {convention['reference']} : 6{NNBSP}666,67{NBSP}€ à reverser "
        "avant le 30 mars 2023"
    )
    text, html = bodies(message)
    assert f"Montant à reverser : 6{NNBSP}666,67{NBSP}€" in text
    assert "À verser avant le 30 mars 2023 (30 jours après l'émission de l'ordre)." in text
    assert "(décompte final), le 28 février 2023." in text
    assert f"Subvention acquise pour les mois de poste occupés : 33{NNBSP}333,33{NBSP}€" in text
    assert f"Déjà versé : 40{NNBSP}000,00{NBSP}€" in text
    assert "- IBAN : FR76 4003 1000 0100 0007 3987 465" in text
    assert "- BIC : CDCGFRPPXXX" in text
    assert "- Bénéficiaire : Caisse des depots et consignations" in text
    assert f"Référence à indiquer dans le libellé du virement : {reference}" in text
    # The web front's pages, through the sign-in (decision 0044): the order and the final statement.
    link = f"{WEB_BASE_URL}/ma-structure/ordres-de-reversement/{recovery['id']}.pdf"
    statement = f"{WEB_BASE_URL}/ma-structure/conventions/{convention['id']}/decompte-final.pdf"
    lines = text.splitlines()
    assert f"L'ordre de reversement (PDF) : {link}" in lines
    assert f"Le décompte final de la convention (PDF) : {statement}" in lines
    assert f'<a href="{link}">' in html and f'<a href="{statement}">' in html
    assert f"<strong>{reference}</strong>" in html

    [row] = programme.alerts_export()
    assert row["Nature"].value == "ordre de reversement"
    assert (row["Montant à reverser"].value, row["Montant à reverser"].data_type) == (float(amount), "n")
    assert row["À reverser avant le"].value == datetime(2023, 3, 30)
    assert (row["Référence du virement"].value, row["Statut"].value) == (reference, "envoyé")


def test_the_same_recovery_received_again_makes_no_second_e_mail(programme, smtp_port, tmp_path):
    overpaid_convention_closed(programme)
    issued = next(e for e in programme.delivered.values() if e["type"] == "recovery.issued")

    # The relay posts it again (a lost acknowledgement), then as another event of the same recovery.
    assert programme.post("compliance", issued) == "duplicate"
    again = {**issued, "id": str(uuid.uuid4()), "sequence": issued["sequence"] + 100}
    assert programme.post("compliance", again) == "processed"
    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        first = programme.send_alerts(date(2023, 3, 1))
        assert programme.post("compliance", {**issued, "id": str(uuid.uuid4())}) == "processed"
        second = programme.send_alerts(date(2023, 3, 2))
        received = smtp.messages()

    assert first == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert second == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 0 en attente de SMTP"
    assert len(received) == 1
    assert [(a["kind"], a["status"]) for a in programme.alerts()] == [("recovery_order", "sent")]
