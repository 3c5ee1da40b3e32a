"""Mail backends: how an outbox row leaves the building.

`get_backend(config)` picks one by MAIL_BACKEND: "smtp" talks to a real server with
smtplib; "dev" keeps the mail in the development mailbox (DevMail rows, read at /dev/mail)
in the caller's transaction, so it appears exactly when the outbox row is marked sent.

A backend's `send` delivers one message; `connect()` gives a connection that delivers many
(SMTP: one conversation for a whole batch, opened at its first message). Both raise
`MailError`: `permanent` tells the caller that retrying cannot help, `broken` that the
connection is gone and the rest of a batch should wait for a retry.
"""
from __future__ import annotations

import binascii
import functools
import hashlib
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import DevMail

# Lets a recipient (and our tests) match a delivered mail to its outbox row.
OUTBOX_KEY_HEADER = "X-OrgWell-Outbox-Key"


class MailError(Exception):
    """Delivery failed; `permanent` when the server refused the message for good (5xx)."""

    def __init__(self, message: str, *, permanent: bool = False, broken: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        # The connection is gone (or our sender or credentials are refused): the next
        # message on it would fail the same way.
        self.broken = broken


class Sendable(Protocol):
    """What a backend reads of an outbox row: an OutboxMessage, or the row a batch's claim
    returned (orgwell/notifications/delivery.py)."""

    id: int
    key: str
    to_addr: str
    subject: str
    text_body: str
    html_body: str | None


class MailConnection(Protocol):
    """What a backend's `connect()` gives: `send` many messages, then `close`."""

    def send(self, message: Sendable) -> None: ...

    def close(self) -> None: ...


class MailBackend(Protocol):
    def send(self, message: Sendable) -> None: ...

    def connect(self) -> MailConnection: ...


def get_backend(config: Mapping) -> MailBackend:
    """The backend named by config MAIL_BACKEND ("smtp" or "dev")."""
    name = config["MAIL_BACKEND"]
    if name == "smtp":
        return SMTPBackend(config)
    if name == "dev":
        return DevBackend(config)
    raise RuntimeError(f"MAIL_BACKEND={name!r} is not one of smtp, dev")


def build_email(message: Sendable, mail_from: str) -> bytes:
    """The RFC 5322 bytes of an outbox row: text, plus an HTML alternative when there is one.

    The Message-ID is derived from the outbox row, so that the rare repeat after a worker
    died mid-send carries the same id and mail clients can fold the two together. Bodies are
    UTF-8 in quoted-printable, non-ASCII subjects RFC 2047 words. Put together by hand from
    the standard library's encoders: EmailMessage took 1-3 ms a message, more than all the
    rest of a delivery (bench/fanout.py).
    """
    domain = _domain_of(mail_from)
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:16]
    headers = [
        ("Subject", _header_text(message.subject)),
        ("From", _header_text(mail_from)),
        ("To", _one_line(message.to_addr)),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", f"<outbox.{message.id}.{digest}@{domain}>"),
        (OUTBOX_KEY_HEADER, _one_line(message.key)),
        ("MIME-Version", "1.0"),
    ]
    if message.html_body:
        # "=_" never occurs in quoted-printable text, so the boundary cannot either.
        boundary = f"=_orgwell_{secrets.token_hex(12)}"
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
        body = b"".join([
            f"\n--{boundary}\n".encode(), _part_headers("plain"), _qp(message.text_body),
            f"\n--{boundary}\n".encode(), _part_headers("html"), _qp(message.html_body),
            f"\n--{boundary}--\n".encode(),
        ])
    else:
        body = _part_headers("plain") + _qp(message.text_body)
    message_bytes = "".join(f"{name}: {value}\n" for name, value in headers).encode() + body
    # SMTP lines end in CRLF; smtplib fixes line ends of str messages only.
    return message_bytes.replace(b"\n", b"\r\n")


def _part_headers(subtype: str) -> bytes:
    """The Content-* headers of a UTF-8 text part, and the blank line that ends them."""
    return (f'Content-Type: text/{subtype}; charset="utf-8"\n'
            "Content-Transfer-Encoding: quoted-printable\n\n").encode()


def _qp(content: str) -> bytes:
    return binascii.b2a_qp(content.replace("\r\n", "\n").encode("utf-8"), istext=True)


def _one_line(value: str) -> str:
    # A line break in a header value would start a header of the value's choosing.
    return " ".join(value.splitlines())


def _header_text(value: str) -> str:
    """A header value as ASCII: RFC 2047 encoded words when it needs them."""
    value = _one_line(value)
    if value.isascii():
        return value
    name, address = parseaddr(value)
    if address and address.isascii() and value.endswith(f"<{address}>"):
        return formataddr((name, address))  # encodes only the display name
    return Header(value, "utf-8").encode()


@functools.lru_cache(maxsize=8)  # one sender per deployment; parsing it cost a tenth of a send
def _domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    try:
        return Address(addr_spec=address).domain or "orgwell.local"
    except (ValueError, IndexError):
        return "orgwell.local"


class SMTPBackend:
    """SMTP with the SMTP_* settings: `send` holds one conversation per message, `connect`
    one conversation for many (the batch sender's)."""

    def __init__(self, config: Mapping) -> None:
        self.host = config["SMTP_HOST"]
        self.port = int(config["SMTP_PORT"])
        self.user = config.get("SMTP_USER")
        self.password = config.get("SMTP_PASSWORD")
        self.starttls = bool(config.get("SMTP_STARTTLS"))
        self.timeout = config.get("SMTP_TIMEOUT", 20)
        self.mail_from = config["MAIL_FROM"]
        self.mail_from_addr = parseaddr(self.mail_from)[1]

    def send(self, message: Sendable) -> None:
        with self.connect() as connection:
            connection.send(message)

    def connect(self) -> SMTPConnection:
        return SMTPConnection(self)


class SMTPConnection:
    """One SMTP conversation, opened at the first message and reused for the next ones.

    `send` raises MailError; `broken` on it means the conversation is over (the server is
    unreachable, hung up, timed out, or refuses our sender or credentials), so a batch stops
    there rather than wait out the same trouble once per message. A refused recipient or
    message leaves the conversation usable (smtplib resets it).
    """

    def __init__(self, backend: SMTPBackend) -> None:
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SMTPConnection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        backend = self.backend
        smtp = smtplib.SMTP(backend.host, backend.port, timeout=backend.timeout)
        try:
            if backend.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if backend.user:
                smtp.login(backend.user, backend.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Sendable) -> None:
        email = build_email(message, self.backend.mail_from)
        try:
            if self.smtp is None:
                self.smtp = self._open()
            options = [] if message.to_addr.isascii() else ["SMTPUTF8"]
            self.smtp.sendmail(
                self.backend.mail_from_addr, [message.to_addr], email, mail_options=options
            )
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailError(
                f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPDataError as exc:
            # The server read the message and rejected its content.
            raise MailError(_describe(exc), permanent=exc.smtp_code >= 500) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # An address that needs SMTPUTF8, and a server without it.
            raise MailError(_describe(exc), permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection trouble, timeouts, and refusals of our sender or credentials: the
            # server or our settings may be fixed before the attempts run out.
            self.close()
            raise MailError(_describe(exc), broken=True) from exc

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class DevBackend:
    """The development mailbox: a DevMail row, flushed in the caller's transaction."""

    def __init__(self, config: Mapping) -> None:
        self.mail_from = config["MAIL_FROM"]

    def connect(self) -> DevBackend:
        return self

    def close(self) -> None:
        pass

    def send(self, message: Sendable) -> None:
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
