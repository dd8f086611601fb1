"""E-mail digests read from a real SMTP server on 127.0.0.1: once a day, each step once, French, retried
while SMTP is down and never sent twice."""

from datetime import date

from cnum_shared.framework.mailsink import MailSink
from cnum_shared.testing import service_app
from compliance import create_app


def bodies(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_structure_gets_one_french_digest_a_day_and_each_step_once(feed, smtp):
    convention = feed.convention()
    feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))

    feed.run("scan", date(2026, 1, 21))
    first = feed.run("send_alerts", date(2026, 1, 21))
    same_day = feed.run("send_alerts", date(2026, 1, 21))
    next_day = feed.run("send_alerts", date(2026, 1, 22))

    (message,) = smtp.messages()
    text, html = bodies(message)
    assert first == "1 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert same_day.startswith("0 récapitulatif(s)") and next_day.startswith("0 récapitulatif(s)")
    assert message["To"] == "inclusion@letampon.example"
    assert message["Cc"] is None
    assert message["Subject"] == "Conseiller numérique : 2 obligation(s) à traiter, dont 1 en retard"
    assert (
        "Faire entrer le conseiller en formation initiale : en retard (échéance du 20 janvier 2026)" in text
    )
    assert "espace de travail) : à échéance proche (échéance du 4 février 2026)" in text
    assert "<strong>Commune du Tampon</strong>" in html
    alerts = feed.call("GET", "/alerts", 200)
    assert [(a["status"], a["attempts"], sorted(i["step"] for i in a["items"])) for a in alerts] == [
        ("sent", 1, ["due_soon", "overdue"])
    ]
    assert alerts[0]["message_id"] == message["Message-ID"]
    assert alerts[0]["structure_name"] == "Commune du Tampon"


def test_fifteen_days_late_the_digest_copies_the_compliance_officer(feed, smtp):
    convention = feed.convention()
    feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))
    feed.run("scan", date(2026, 1, 21))
    feed.run("send_alerts", date(2026, 1, 21))

    feed.run("scan", date(2026, 2, 5))
    feed.run("send_alerts", date(2026, 2, 5))

    late = smtp.messages()[-1]
    text, _ = bodies(late)
    assert late["Cc"] == "conformite@conseiller-numerique.example"
    assert "en retard (relance)" in text
    assert "Ces retards persistent depuis plus de 15 jours" in text


def test_while_smtp_is_down_the_digest_waits_and_is_sent_once_when_it_is_back(
    database_url, tmp_path, smtp_port_down, feed_for
):
    with service_app(create_app, database_url, tmp_path, smtp_port=smtp_port_down) as app:
        feed = feed_for(app)
        convention = feed.convention()
        feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))
        feed.run("scan", date(2026, 1, 21))

        down = feed.run("send_alerts", date(2026, 1, 21))
        waiting = feed.call("GET", "/alerts", 200)
        with MailSink(tmp_path / "mail", port=smtp_port_down) as smtp:
            back = feed.run("send_alerts", date(2026, 1, 22))
            after = feed.run("send_alerts", date(2026, 1, 22))
            received = smtp.messages()
        alerts = feed.call("GET", "/alerts", 200)

    assert down == "1 récapitulatif(s) préparé(s), 0 envoyé(s), 1 en attente de SMTP"
    assert (waiting[0]["status"], waiting[0]["attempts"]) == ("pending", 1)
    assert "ConnectionRefusedError" in waiting[0]["last_error"]
    assert back == "0 récapitulatif(s) préparé(s), 1 envoyé(s), 0 en attente de SMTP"
    assert after.startswith("0 récapitulatif(s) préparé(s), 0 envoyé(s)")
    assert len(received) == 1
    assert [(a["status"], a["attempts"], a["digest_date"]) for a in alerts] == [("sent", 2, "2026-01-21")]


def test_an_obligation_told_overdue_and_escalated_the_same_day_counts_once_in_the_subject(feed, smtp):
    convention = feed.convention()
    feed.contract(convention, signed_on=date(2026, 1, 5))
    feed.run("scan", date(2026, 2, 20))  # training and equipment escalated; January reporting due soon

    feed.run("send_alerts", date(2026, 2, 20))

    (message,) = smtp.messages()
    assert message["Subject"] == "Conseiller numérique : 3 obligation(s) à traiter, dont 2 en retard"
    assert message["Cc"] == "conformite@conseiller-numerique.example"


def test_each_obligation_of_a_digest_links_to_the_structures_page_for_it(feed, smtp):
    convention = feed.convention()
    feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))
    feed.run("scan", date(2026, 1, 21))

    feed.run("send_alerts", date(2026, 1, 21))

    (message,) = smtp.messages()
    text, html = bodies(message)
    told = [o for o in feed.call("GET", "/obligations", 200) if o["status"] in ("overdue", "due_soon")]
    assert sorted(o["kind"] for o in told) == ["equipment", "training_entry"]
    for obligation in told:
        # CNUM_WEB_BASE_URL is unset in tests: the web front of `make run` (decision 0044).
        link = f"http://127.0.0.1:5000/ma-structure/obligations/{obligation['id']}"
        assert f"  {link}" in text.splitlines()
        assert f'<a href="{link}">' in html
    home = "vos obligations dans votre espace structure : http://127.0.0.1:5000/ma-structure"
    assert home in text.splitlines()
    assert '<a href="http://127.0.0.1:5000/ma-structure">votre espace structure</a>' in html
    # The contract by its start, never by an id.
    assert "contrat commencé le 4 février 2026" in text and "contrat commencé le 4 février 2026" in html
