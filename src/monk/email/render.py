"""Emails as text, from a kind and its context: pure (no I/O beyond reading the packaged templates).

Each kind has a plain-text and an HTML template (``templates/<kind>.txt``, ``templates/<kind>.html``,
the HTML autoescaped); the subject is written here. Amounts are integer cents shown as dollars
(``123450`` → ``$1,234.50``), dates as ``January 5, 2026``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monk.billing.money import cents_as_dollars
from monk.models.statuses import EmailKind

# Stripe's decline codes (and the bank-debit failures) customers meet most, in words.
DECLINE_REASONS = {
    "insufficient_funds": "Insufficient funds",
    "card_declined": "The card was declined",
    "generic_decline": "The card was declined",
    "do_not_honor": "The card was declined",
    "expired_card": "The card has expired",
    "incorrect_cvc": "The card's security code is incorrect",
    "incorrect_number": "The card number is incorrect",
    "lost_card": "The card was reported lost",
    "stolen_card": "The card was reported stolen",
    "processing_error": "An error occurred while processing the card",
    "authentication_required": "The payment needs the cardholder's authentication",
    "account_closed": "The bank account is closed",
    "no_account": "The bank account could not be found",
    "debit_not_authorized": "The bank did not authorize the debit",
    "payment_failed": "The payment failed",
}


@dataclass(frozen=True)
class Line:
    """One invoice line as the email lists it: its name and amount (cents)."""

    name: str
    amount_cents: int


@dataclass(frozen=True)
class EmailContext:
    """What an email says about one invoice.

    ``sender`` is the billing organization's name, ``customer_name`` the customer's. Amounts are cents:
    ``total_cents`` is the amount due (what a payment email is about), ``subtotal_cents`` the lines'
    sum before ``credits_applied_cents``. ``occurred_on`` is the day the email is about (queued).
    ``payment_link`` is the invoice's payment page (None: no "Pay this invoice" link);
    ``decline_reason`` says in words why a payment failed (``payment_failed`` only)."""

    sender: str
    customer_name: str
    invoice_number: str
    invoice_date: date
    due_date: date
    total_cents: int
    occurred_on: date
    subtotal_cents: int = 0
    credits_applied_cents: int = 0
    lines: tuple[Line, ...] = ()
    payment_link: str | None = None
    decline_reason: str | None = None


@dataclass(frozen=True)
class Rendered:
    """An email's subject (one line) and its plain-text and HTML bodies."""

    subject: str
    text: str
    html: str


def long_date(day: date) -> str:
    """``date(2026, 1, 5)`` → ``January 5, 2026``."""
    return f"{day:%B} {day.day}, {day.year}"


def decline_reason(code: str | None, message: str | None = None) -> str:
    """Why a payment failed, in words (no final full stop): Stripe's ``message`` when given, else the
    known meaning of its decline ``code`` (``insufficient_funds`` → ``Insufficient funds``), else the
    code made readable (``card_velocity_exceeded`` → ``Card velocity exceeded``), else ``The payment
    failed``."""
    if message and message.strip(" ."):
        return " ".join(message.split()).rstrip(".")
    if not code:
        return DECLINE_REASONS["payment_failed"]
    return DECLINE_REASONS.get(code) or code.replace("_", " ").strip().capitalize() or DECLINE_REASONS["payment_failed"]


_templates = Environment(
    loader=PackageLoader("monk.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_templates.filters["money"] = cents_as_dollars
_templates.filters["long_date"] = long_date


def subject(kind: EmailKind, ctx: EmailContext) -> str:
    """The subject line of a ``kind`` email about ``ctx``'s invoice (one line: runs of whitespace,
    line breaks included, become one space)."""
    number, amount = ctx.invoice_number, cents_as_dollars(ctx.total_cents)
    match kind:
        case EmailKind.INVOICE:
            line = f"Invoice {number} from {ctx.sender}: {amount} due {long_date(ctx.due_date)}"
        case EmailKind.PAYMENT_CONFIRMATION:
            line = f"Payment received: {amount} for invoice {number}"
        case EmailKind.PAYMENT_PROCESSING:
            line = f"ACH payment initiated: {amount} for invoice {number}"
        case EmailKind.PAYMENT_FAILED:
            line = f"Payment failed for invoice {number}"
        case _:
            raise ValueError(f"unknown email kind: {kind!r}")
    return " ".join(line.split())


def render(kind: EmailKind | str, ctx: EmailContext) -> Rendered:
    """The subject and both bodies of a ``kind`` email about ``ctx``'s invoice (``EmailKind`` or its
    value). Raises ``ValueError`` for an unknown kind."""
    try:
        kind = EmailKind(kind)
    except ValueError:
        raise ValueError(f"unknown email kind: {kind!r}") from None
    line = subject(kind, ctx)
    return Rendered(subject=line, text=_templates.get_template(f"{kind.value}.txt").render(c=ctx, subject=line),
                    html=_templates.get_template(f"{kind.value}.html").render(c=ctx, subject=line))
