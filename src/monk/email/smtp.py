"""SMTP: where to send (``MONK_SMTP_URL``), the MIME message of a queued email, and what an SMTP error
means for it (retry later, or give up)."""

from __future__ import annotations

import email.message
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class SmtpTarget:
    """An SMTP server: host and port, optional login, ``use_tls`` (implicit TLS, ``smtps``) and
    ``start_tls`` (True: required, False: never, None: when the server offers it)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """``smtp://[user:password@]host[:port][?starttls=1|0]`` (port 25) or ``smtps://…`` (port 465);
        user and password percent-decoded. Raises ``ValueError`` for another scheme, no host or a bad
        ``starttls``."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL looks like smtp://[user:password@]host[:port] or smtps://…")
        implicit = parts.scheme == "smtps"
        start_tls: bool | None = None
        flag = (parse_qs(parts.query).get("starttls") or [""])[-1].lower()
        if flag in TRUE:
            start_tls = True
        elif flag in FALSE:
            start_tls = False
        elif flag:
            raise ValueError("starttls in an SMTP URL is 1 or 0")
        if implicit and start_tls:
            raise ValueError("smtps:// is implicit TLS: it takes no starttls=1")
        return cls(host=parts.hostname, port=parts.port or (465 if implicit else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None,
                   use_tls=implicit, start_tls=False if implicit else start_tls)

    def client(self, *, timeout: float) -> aiosmtplib.SMTP:
        """An unconnected client for this server; ``timeout`` (seconds) bounds each operation."""
        return aiosmtplib.SMTP(hostname=self.host, port=self.port, username=self.username, password=self.password,
                               use_tls=self.use_tls, start_tls=self.start_tls, timeout=timeout)


def address_of(sender: str) -> str:
    """The bare address of a From value: ``Monk <billing@example.com>`` → ``billing@example.com``."""
    return email.utils.parseaddr(sender)[1] or sender.strip()


def build(*, email_id: str, sender: str, recipients: Sequence[dict[str, Any]], subject: str, text: str, html: str,
          date: datetime) -> tuple[email.message.EmailMessage, list[str]]:
    """The multipart/alternative message (plain text, then HTML) of a queued email, and its envelope
    recipients (every address, Bcc included; Bcc is no header). ``Message-ID`` is derived from
    ``email_id``, so a resend is recognisably the same message. Raises ``ValueError`` when a header
    cannot be written (e.g. a line break in a name)."""
    msg = email.message.EmailMessage()
    msg["From"] = sender
    for header, kind in (("To", "to"), ("Cc", "cc")):
        addresses = [email.utils.formataddr((r.get("name") or "", r["email"])) for r in recipients if r["type"] == kind]
        if addresses:
            msg[header] = ", ".join(addresses)
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(date)
    domain = address_of(sender).rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<{email_id}@{domain}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg, [r["email"] for r in recipients]


def is_permanent(exc: BaseException) -> bool:
    """Whether ``exc`` refuses this message for good (retrying it cannot help): every recipient, or the
    message itself, refused with a 5xx reply. A refused sender, a failed login, an unreachable or
    disconnecting server and every 4xx reply are worth retrying."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code >= 500
    return isinstance(exc, ValueError | UnicodeError)  # the message cannot be written


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is unusable (reconnect before the next message)."""
    return isinstance(exc, OSError | aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError
                      | aiosmtplib.SMTPTimeoutError)
