"""A real SMTP server on loopback for the email tests: ``aiosmtpd``'s threaded ``Controller`` with a
handler that keeps every message it accepts, and can refuse chosen recipients or require a login."""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.peers.ports import free_port


@dataclass
class Received:
    """One accepted message: the envelope sender and recipients, and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    def part(self, subtype: str) -> str:
        """The text of the ``text/<subtype>`` part, with the wire's CRLF line ends as ``\n``."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_type() == f"text/{subtype}", self.message
        return str(body.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


@dataclass
class Inbox:
    """The server's handler: ``messages`` it accepted; ``refuse`` maps a recipient address (lower
    case) to the reply that refuses it (e.g. ``"550 5.1.1 No such user"``)."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpPeer:
    """A running server: its port, its inbox, ``url`` for ``MONK_SMTP_URL``."""

    port: int
    inbox: Inbox
    controller: Controller
    login: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        """``smtp://[user:password@]127.0.0.1:PORT?starttls=0``."""
        auth = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"smtp://{auth}127.0.0.1:{self.port}?starttls=0"


def _authenticator(login: tuple[str, str]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == login
        return AuthResult(success=ok, handled=False)
    return check


@contextmanager
def smtp_peer(port: int | None = None, *, login: tuple[str, str] | None = None) -> Iterator[SmtpPeer]:
    """Start an SMTP server on 127.0.0.1 (``port``, or a free one), requiring ``login`` (user,
    password; plain AUTH without TLS) when given; stopped on exit."""
    inbox = Inbox()
    extra: dict[str, Any] = {}
    if login is not None:
        extra = {"authenticator": _authenticator(login), "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **extra)
    controller.start()
    try:
        yield SmtpPeer(controller.port, inbox, controller, login)
    finally:
        controller.stop()
