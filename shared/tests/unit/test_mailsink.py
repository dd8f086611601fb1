import smtplib
from email.message import EmailMessage

from cnum_shared.framework.mailsink import MailSink


def test_each_message_received_is_stored_as_an_eml_file(tmp_path):
    with MailSink(tmp_path / "mail") as sink:
        message = EmailMessage()
        message["From"] = "ne-pas-repondre@conseiller-numerique.example"
        message["To"] = "mairie@saint-flour.example, rh@saint-flour.example"
        message["Subject"] = "Échéance dépassée : entrée en formation"
        message.set_content("Bonjour,\nL'entrée en formation de votre conseillère était attendue le 15 mars.")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.send_message(message)
        (stored,) = sink.messages()
    assert stored["Subject"] == "Échéance dépassée : entrée en formation"
    assert "attendue le 15 mars" in stored.get_content()
    assert stored["X-Cnum-Envelope-To"] == "mairie@saint-flour.example, rh@saint-flour.example"
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
