"""Mail backends: how an outbox row leaves the building.

`get_backend(config)` picks one by MAIL_BACKEND: "smtp" talks to a real server with
smtplib; "dev" keeps the mail in the development mailbox (DevMail rows, read at /dev/mail)
in the caller's transaction, so it appears exactly when the outbox row is marked sent.

Backends raise `MailError`; `permanent` tells the caller that retrying cannot help.
"""
from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import DevMail, OutboxMessage

# Lets a recipient (and our tests) match a delivered mail to its outbox row.
OUTBOX_KEY_HEADER = "X-OrgWell-Outbox-Key"


class MailError(Exception):
    """Delivery failed; `permanent` when the server refused the message for good (5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailBackend(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


def get_backend(config: Mapping) -> MailBackend:
    """The backend named by config MAIL_BACKEND ("smtp" or "dev")."""
    name = config["MAIL_BACKEND"]
    if name == "smtp":
        return SMTPBackend(config)
    if name == "dev":
        return DevBackend(config)
    raise RuntimeError(f"MAIL_BACKEND={name!r} is not one of smtp, dev")


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox row: text, plus an HTML alternative when there is one.

    The Message-ID is derived from the outbox row, so that the rare repeat after a worker
    died mid-send carries the same id and mail clients can fold the two together.
    """
    domain = _domain_of(mail_from)
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:16]
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = mail_from
    email["To"] = message.to_addr
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = f"<outbox.{message.id}.{digest}@{domain}>"
    email[OUTBOX_KEY_HEADER] = message.key
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


def _domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    try:
        return Address(addr_spec=address).domain or "orgwell.local"
    except (ValueError, IndexError):
        return "orgwell.local"


class SMTPBackend:
    """One SMTP conversation per message, with the SMTP_* settings."""

    def __init__(self, config: Mapping) -> None:
        self.host = config["SMTP_HOST"]
        self.port = int(config["SMTP_PORT"])
        self.user = config.get("SMTP_USER")
        self.password = config.get("SMTP_PASSWORD")
        self.starttls = bool(config.get("SMTP_STARTTLS"))
        self.timeout = config.get("SMTP_TIMEOUT", 20)
        self.mail_from = config["MAIL_FROM"]

    def send(self, message: OutboxMessage) -> None:
        email = build_email(message, self.mail_from)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailError(
                f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPDataError as exc:
            # The server read the message and rejected its content.
            raise MailError(_describe(exc), permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection trouble, timeouts, and refusals of our sender or credentials: the
            # server or our settings may be fixed before the attempts run out.
            raise MailError(_describe(exc)) from exc


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class DevBackend:
    """The development mailbox: a DevMail row, flushed in the caller's transaction."""

    def __init__(self, config: Mapping) -> None:
        self.mail_from = config["MAIL_FROM"]

    def send(self, message: OutboxMessage) -> None:
        db.session.add(
            DevMail(
                outbox_id=message.id,
                to_addr=message.to_addr,
                from_addr=self.mail_from,
                subject=message.subject,
                text_body=message.text_body,
                html_body=message.html_body,
            )
        )
        db.session.flush()
