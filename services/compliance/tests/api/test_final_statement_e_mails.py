"""Issue 20, point 6: a closed convention's final statement (décompte final) is e-mailed to the structure when
closing leaves money to pay to it or nothing to settle, with the alerts' machinery (stored, sent once to
the real SMTP server on 127.0.0.1, retried while it is down); a statement that leaves money to recover is
told by the recovery's order alone (decision 0046).

The producers are real (programme.py, as for the recovery orders): a legal officer makes, signs and
closes the convention through the conventions API, finance officers pay through the payments API,
payments settles the closing and publishes `final_statement.settled`, and every outbox is delivered to
its consumers as the relays post it. Every expected figure is worked out here by hand from DESIGN §3/§4
(decision 0030).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from cnum_shared.framework.mailsink import MailSink
from services.compliance.tests.api.programme import (
    END,
    NBSP,
    NNBSP,
    WEB_BASE_URL,
    bodies,
    closed_convention,
    overpaid_convention_closed,
)

#: Cantal, public, initial wave: 50 000,00 a post over 24 months, in tranches of 40 %, 40 % and 20 %:
#: 20 000,00 at the signature, 20 000,00 a year after the start, 10 000,00 on 1 March 2023, the day after
#: the convention's end. A month of the post earns 50 000,00 ÷ 24.
PER_POST, MONTHS = Decimal("50000.00"), 24
FIRST, SECOND, LAST = PER_POST * 40 / 100, PER_POST * 40 / 100, PER_POST * 20 / 100
LAST_DUE = date(2023, 3, 1)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def eur(amount: Decimal) -> str:
    """An amount as the e-mail writes it (Babel's French: narrow no-break thousands, no-break before €)."""
    whole, decimals = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", NNBSP)
    return f"{groups},{decimals}{NBSP}€"


def statement_link(convention: dict) -> str:
    """The final statement's PDF on the web front, through the sign-in (decision 0044)."""
    return f"{WEB_BASE_URL}/ma-structure/conventions/{convention['id']}/decompte-final.pdf"


def test_a_closing_that_leaves_money_to_pay_mails_the_structure_its_statement_once_smtp_is_back(
    programme, smtp_port, tmp_path
):
    structure, convention = closed_convention(programme, contract_end=date(2022, 12, 31))

    # The post is occupied from March 2021 (month 1) to December 2022 (month 22): 50 000,00 × 22 ÷ 24
    # = 45 833,333… → 45 833,33 earned, 40 000,00 paid (the last tranche, due after the closing, is
    # cancelled): 5 833,33 still to pay, which closing books as a last payable line.
    earned = cents(PER_POST * 22 / MONTHS)
    paid = FIRST + SECOND
    to_pay = earned - paid
    assert (earned, paid, to_pay) == (Decimal("45833.33"), Decimal("40000.00"), Decimal("5833.33"))
    schedule = programme.call("payments", "GET", f"/schedules/{convention['id']}", 200, role="finance")
    [last_line] = [t for t in schedule["tranches"] if t["kind"] == "final_balance"]
    assert (last_line["amount"], last_line["due_on"]) == ("5833.33", END.isoformat())

    # SMTP is down: the statement waits, pending, with the server's refusal.
    down = programme.send_alerts(date(2023, 3, 1))
    [waiting] = programme.alerts()
    assert down == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 1 en attente de SMTP"
    assert (waiting["kind"], waiting["kind_label"], waiting["status"], waiting["attempts"]) == (
        "final_statement",
        "décompte final",
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
    assert (sent["digest_date"], sent["recovery"], sent["items"]) == (END.isoformat(), None, [])
    assert sent["final_statement"] == {
        "convention_id": convention["id"],
        "convention_reference": convention["reference"],
        "closed_on": "2023-02-28",
        "as_of": "2023-02-28",
        "granted": "50000.00",
        "earned": "45833.33",
        "paid": "40000.00",
        "balance": "5833.33",
        "to_pay": "5833.33",
        "to_recover": "0.00",
        "in_payment": "0.00",
        "claimed": "0.00",
        "to_settle": "5833.33",
        "settlement_kind": "payment",
        "settlement_amount": "5833.33",
    }

    assert message["To"] == structure["email"] == "mediation-numerique@saint-flour.example"
    assert message["Cc"] is None
    assert message["Subject"] == (
        f"Décompte final — convention {convention['reference']} : 5{NNBSP}833,33{NBSP}€ restant à vous verser"
    )
    assert eur(to_pay) == f"5{NNBSP}833,33{NBSP}€"
    text, html = bodies(message)
    lines = text.splitlines()
    assert (
        f"La convention {convention['reference']} de la structure Commune de Saint-Flour a été clôturée le "
        "28 février 2023. La Caisse des Dépôts en a arrêté le décompte final au 28 février 2023 :"
    ) in lines
    assert [line for line in lines if line.startswith("- ")] == [
        f"- Subvention accordée : {eur(PER_POST)}",
        f"- Subvention acquise pour les mois de poste occupés : {eur(earned)}",
        f"- Déjà versé : {eur(paid)}",
        f"- Solde (subvention acquise − déjà versé) : {eur(to_pay)}",
    ]
    assert f"Reste à vous verser : {eur(to_pay)}" in lines
    assert "Rien ne reste à régler" not in text
    assert f"Le décompte final de la convention (PDF) : {statement_link(convention)}" in lines
    assert f"Il est aussi dans votre espace structure : {WEB_BASE_URL}/ma-structure" in lines
    assert f'<a href="{statement_link(convention)}">' in html
    assert f"Reste à vous verser : <strong>{eur(to_pay)}</strong>" in html
    assert f"<li>Subvention acquise pour les mois de poste occupés : {eur(earned)}</li>" in html

    [row] = programme.alerts_export()
    assert (row["Nature"].value, row["Convention"].value) == ("décompte final", convention["reference"])
    versement = row["Versement inscrit à la clôture"]
    assert (versement.value, versement.data_type) == (float(to_pay), "n")
    assert (row["Date"].value, row["Statut"].value) == (datetime(2023, 2, 28), "envoyé")
    assert row["Montant à reverser"].value is None


def test_a_closing_that_leaves_nothing_to_settle_mails_that_nothing_remains(programme, smtp_port, tmp_path):
    # The post is occupied the whole 24 months: 50 000,00 earned. Tranches 1 and 2 are paid (40 000,00)
    # and the last one (10 000,00, due on 1 March 2023) is approved that day, not yet paid, when the
    # convention is closed on 15 March 2023, as of its end (28 February 2023): 50 000,00 − 40 000,00 =
    # 10 000,00 still to pay, all of it in payment already, so closing books nothing.
    structure, convention = closed_convention(
        programme, contract_end=END, closed_on=date(2023, 3, 15), approve_last_on=LAST_DUE
    )
    earned, paid = cents(PER_POST * 24 / MONTHS), FIRST + SECOND
    balance = earned - paid
    assert balance - LAST == Decimal("0.00")

    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        sent = programme.send_alerts(date(2023, 3, 16))
        [message] = smtp.messages()

    assert sent == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    [alert] = programme.alerts()
    assert (alert["kind"], alert["status"], alert["digest_date"]) == ("final_statement", "sent", "2023-03-15")
    statement = alert["final_statement"]
    assert (statement["closed_on"], statement["as_of"]) == ("2023-03-15", "2023-02-28")
    assert (statement["earned"], statement["paid"], statement["balance"]) == (
        "50000.00",
        "40000.00",
        "10000.00",
    )
    assert (statement["in_payment"], statement["to_settle"]) == ("10000.00", "0.00")
    assert (statement["settlement_kind"], statement["settlement_amount"]) == (None, None)

    assert message["To"] == structure["email"]
    assert (
        message["Subject"]
        == f"Décompte final — convention {convention['reference']} : rien ne reste à régler"
    )
    text, html = bodies(message)
    lines = text.splitlines()
    assert (
        f"La convention {convention['reference']} de la structure Commune de Saint-Flour a été clôturée le "
        "15 mars 2023. La Caisse des Dépôts en a arrêté le décompte final au 28 février 2023 :"
    ) in lines
    assert [line for line in lines if line.startswith("- ")] == [
        f"- Subvention accordée : {eur(PER_POST)}",
        f"- Subvention acquise pour les mois de poste occupés : {eur(earned)}",
        f"- Déjà versé : {eur(paid)}",
        f"- Solde (subvention acquise − déjà versé) : {eur(balance)}",
        f"- En cours de paiement : {eur(LAST)}",
    ]
    assert (
        "Rien ne reste à régler : la clôture n'inscrit ni versement ni reversement supplémentaire (ce qui "
        "est déjà en cours de paiement ou déjà demandé en reversement solde la convention)."
    ) in lines
    assert "Reste à vous verser" not in text and "Reste à vous verser" not in html
    assert f"Le décompte final de la convention (PDF) : {statement_link(convention)}" in lines
    assert f'<a href="{statement_link(convention)}">' in html
    assert "<strong>Rien ne reste à régler</strong>" in html


def test_a_closing_that_leaves_money_to_recover_is_told_by_the_recovery_order_alone(
    programme, smtp_port, tmp_path
):
    # test_recovery_orders' convention: 6 666,67 to repay at closing. Compliance receives the statement
    # and the recovery; the order's e-mail links to the statement, so the statement makes no e-mail.
    structure, convention = overpaid_convention_closed(programme)
    [settled] = [e for e in programme.delivered.values() if e["type"] == "final_statement.settled"]
    assert settled["data"]["settlement"]["kind"] == "recovery"
    assert programme.post("compliance", settled) == "duplicate"  # the relay delivered it: processed

    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        sent = programme.send_alerts(date(2023, 3, 1))
        [message] = smtp.messages()

    assert sent == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert [(a["kind"], a["final_statement"]) for a in programme.alerts()] == [("recovery_order", None)]
    assert message["To"] == structure["email"]
    assert message["Subject"].startswith(f"Ordre de reversement — convention {convention['reference']} : ")
    text, _ = bodies(message)
    assert f"Le décompte final de la convention (PDF) : {statement_link(convention)}" in text.splitlines()


def test_the_same_final_statement_received_again_makes_no_second_e_mail(programme, smtp_port, tmp_path):
    closed_convention(programme, contract_end=date(2022, 12, 31))
    [settled] = [e for e in programme.delivered.values() if e["type"] == "final_statement.settled"]

    # The relay posts it again (a lost acknowledgement), then as another event of the same statement.
    assert programme.post("compliance", settled) == "duplicate"
    again = {**settled, "id": str(uuid.uuid4()), "sequence": settled["sequence"] + 100}
    assert programme.post("compliance", again) == "processed"
    with MailSink(tmp_path / "mail", port=smtp_port) as smtp:
        first = programme.send_alerts(date(2023, 3, 1))
        assert programme.post("compliance", {**settled, "id": str(uuid.uuid4())}) == "processed"
        second = programme.send_alerts(date(2023, 3, 2))
        received = smtp.messages()

    assert first == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert second == "0 récapitulatif(s) préparé(s), 0 envoyé(s), 0 en attente de SMTP"
    assert len(received) == 1
    assert [(a["kind"], a["status"]) for a in programme.alerts()] == [("final_statement", "sent")]
