"""Sending e-mail: a message from the French templates, through SMTP (the local sink with `make run`)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_templates = Environment(
    loader=PackageLoader("compliance", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class MailNotSent(Exception):
    """The SMTP server refused or could not be reached; the message may be tried again."""


def compose(
    *,
    template: str,
    context: dict[str, Any],
    subject: str,
    sender: str,
    to: list[str],
    cc: list[str],
    message_id: str,
    date: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    # The same Message-ID on every attempt: a client that receives a retry twice shows it once.
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(date)
    message.set_content(_templates.get_template(f"{template}.txt.j2").render(subject=subject, **context))
    message.add_alternative(
        _templates.get_template(f"{template}.html.j2").render(subject=subject, **context), subtype="html"
    )
    return message


def send(message: EmailMessage, host: str, port: int, timeout: float = 10.0) -> None:
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailNotSent(f"{type(error).__name__}: {error}") from None


@dataclass(frozen=True)
class SmtpMailer:
    """The digests' way out, built once by the bootstrap from the settings (the service layer's `Mailer`)."""

    host: str
    port: int
    sender: str
    #: Whom a digest copies when it tells an escalation (CNUM_COMPLIANCE_OFFICER_EMAIL).
    officer_email: str
    timeout: float = 10.0

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
    ) -> str | None:
        """Send the message; None once the server accepted it, else why it did not (to try again)."""
        message = compose(
            template=template,
            context=context,
            subject=subject,
            sender=self.sender,
            to=to,
            cc=cc,
            message_id=message_id,
            date=date,
        )
        try:
            send(message, self.host, self.port, self.timeout)
        except MailNotSent as refused:
            return str(refused)
        return None
