"""Where emails go (``MONK_SMTP_URL``), the MIME message built from a queued email, which SMTP errors
are final, and who among a customer's contacts receives its emails."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosmtplib
import pytest
from pydantic import ValidationError

from monk.email.service import recipients
from monk.email.smtp import SmtpTarget, address_of, build, is_permanent
from monk.settings import Settings


@pytest.mark.parametrize(("url", "target"), [
    ("smtp://127.0.0.1:1025", SmtpTarget("127.0.0.1", 1025)),
    ("smtp://mail.example.com", SmtpTarget("mail.example.com", 25)),
    ("smtp://user:p%40ss%3Aw@mail.example.com:587?starttls=1",
     SmtpTarget("mail.example.com", 587, "user", "p@ss:w", start_tls=True)),
    ("smtp://relay:2525?starttls=0", SmtpTarget("relay", 2525, start_tls=False)),
    ("smtps://u:p@mail.example.com", SmtpTarget("mail.example.com", 465, "u", "p", use_tls=True, start_tls=False)),
])
def test_smtp_urls(url: str, target: SmtpTarget) -> None:
    assert SmtpTarget.parse(url) == target


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h?starttls=maybe",
                                 "smtps://h?starttls=1"])
def test_bad_smtp_urls(url: str) -> None:
    with pytest.raises(ValueError):
        SmtpTarget.parse(url)


def test_the_setting_is_checked_at_startup() -> None:
    assert Settings(smtp_url=" smtp://127.0.0.1:1025 ").smtp_url == "smtp://127.0.0.1:1025"
    assert Settings().smtp_url == "" and Settings().email_from == "Monk <billing@localhost>"
    with pytest.raises(ValidationError, match="MONK_SMTP_URL"):
        Settings(smtp_url="mail.example.com:25")


def test_the_message_has_both_parts_and_no_bcc_header() -> None:
    people = [{"email": "ann@acme.example", "name": "Ann Payer", "type": "to"},
              {"email": "bob@acme.example", "name": "", "type": "to"},
              {"email": "copy@acme.example", "name": "Copy, Desk", "type": "cc"},
              {"email": "audit@acme.example", "name": "", "type": "bcc"}]
    msg, envelope = build(email_id="0190-abc", sender="Northwind Billing <billing@northwind.example>",
                          recipients=people, subject="Invoice INV-1", text="Pay $5.00\n", html="<p>Pay $5.00</p>\n",
                          date=datetime(2026, 3, 5, 9, 30, tzinfo=UTC))
    assert envelope == ["ann@acme.example", "bob@acme.example", "copy@acme.example", "audit@acme.example"]
    assert msg["To"] == "Ann Payer <ann@acme.example>, bob@acme.example"
    assert msg["Cc"] == '"Copy, Desk" <copy@acme.example>'
    assert msg["Bcc"] is None
    assert msg["Date"] == "Thu, 05 Mar 2026 09:30:00 +0000"
    assert msg["Message-ID"] == "<0190-abc@northwind.example>"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert (plain.get_content_type(), plain.get_content()) == ("text/plain", "Pay $5.00\n")
    assert (html.get_content_type(), html.get_content()) == ("text/html", "<p>Pay $5.00</p>\n")
    assert address_of("Monk <billing@localhost>") == "billing@localhost"


def test_a_header_with_a_line_break_cannot_be_written() -> None:
    with pytest.raises(ValueError):
        build(email_id="x", sender="billing@example.com", recipients=[{"email": "a@b.c", "name": "", "type": "to"}],
              subject="Hi\nBcc: evil@example.com", text="t", html="h", date=datetime(2026, 1, 1, tzinfo=UTC))


def test_which_smtp_errors_are_final() -> None:
    refused = aiosmtplib.SMTPRecipientRefused
    assert is_permanent(aiosmtplib.SMTPRecipientsRefused([refused(550, "no such user", "a@b.c")]))
    assert not is_permanent(aiosmtplib.SMTPRecipientsRefused([refused(550, "no", "a@b.c"),
                                                              refused(451, "busy", "d@e.f")]))
    assert is_permanent(aiosmtplib.SMTPDataError(554, "rejected as spam"))
    assert not is_permanent(aiosmtplib.SMTPDataError(452, "too much mail"))
    assert not is_permanent(aiosmtplib.SMTPSenderRefused(550, "sender refused", "billing@localhost"))
    assert not is_permanent(aiosmtplib.SMTPAuthenticationError(535, "bad login"))
    assert not is_permanent(aiosmtplib.SMTPServerDisconnected("gone"))
    assert not is_permanent(ConnectionRefusedError())


def test_recipients_are_the_accounts_payable_contacts() -> None:
    contacts = [
        {"name": "Ann  Payer", "email": "ann@acme.example", "roles": ["accounts_payable"], "emailRecipientType": "to"},
        {"email": "cto@acme.example", "roles": ["technical"]},
        {"email": "copy@acme.example", "roles": ["finance", "accounts_payable"], "emailRecipientType": "cc"},
        {"email": "ANN@acme.example", "roles": ["accounts_payable"], "emailRecipientType": "bcc"},
        {"email": "audit@acme.example", "roles": ["accounts_payable"], "emailRecipientType": "bcc"},
        {"email": "odd@acme.example", "roles": ["accounts_payable"], "emailRecipientType": "reply-to"},
    ]
    assert recipients(contacts) == [
        {"email": "ann@acme.example", "name": "Ann Payer", "type": "to"},
        {"email": "copy@acme.example", "name": "", "type": "cc"},
        {"email": "audit@acme.example", "name": "", "type": "bcc"},
        {"email": "odd@acme.example", "name": "", "type": "to"},
    ]
    assert recipients([{"email": "cto@acme.example", "roles": ["technical"]}]) == [] == recipients(None)
