"""The emails' words, exactly: subjects, plain text and HTML of each kind, from a fixed context."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from monk.email.render import EmailContext, Line, decline_reason, long_date, render, subject
from monk.models.statuses import EmailKind

CTX = EmailContext(
    sender="Northwind Labs", customer_name="Acme Corp", invoice_number="INV-00042",
    invoice_date=date(2026, 3, 1), due_date=date(2026, 3, 31), total_cents=123450, occurred_on=date(2026, 3, 5),
    subtotal_cents=133450, credits_applied_cents=10000,
    lines=(Line("Pro Platform Fee", 5000), Line("API Calls (Pro)", 128450)),
    payment_link="https://monk.example/pay/tok?a=1&b=2")


def test_the_invoice_email() -> None:
    out = render(EmailKind.INVOICE, CTX)
    assert out.subject == "Invoice INV-00042 from Northwind Labs: $1,234.50 due March 31, 2026"
    assert out.text == """Hello Acme Corp,

Northwind Labs has sent you invoice INV-00042 for $1,234.50, due March 31, 2026.

Invoice number: INV-00042
Invoice date:   March 1, 2026
Due date:       March 31, 2026
Amount due:     $1,234.50

  Pro Platform Fee: $50.00
  API Calls (Pro): $1,284.50
  Credits applied: -$100.00

Pay this invoice: https://monk.example/pay/tok?a=1&b=2

Questions about this invoice? Contact Northwind Labs.
"""
    html = out.html
    assert "<title>Invoice INV-00042 from Northwind Labs: $1,234.50 due March 31, 2026</title>" in html
    assert ('<a href="https://monk.example/pay/tok?a=1&amp;b=2" style="display:inline-block;background:#2563eb;'
            'color:#ffffff;text-decoration:none;padding:12px 24px;border-radius:6px;font-weight:600;">'
            "Pay this invoice</a>") in html
    for cell in ("<td>INV-00042</td>", "<td>March 1, 2026</td>", "<td>March 31, 2026</td>",
                 "<td><strong>$1,234.50</strong></td>", ">Pro Platform Fee</td>", ">$1,284.50</td>",
                 ">Credits applied</td>", ">-$100.00</td>"):
        assert cell in html, cell


def test_the_invoice_email_without_a_link_or_lines() -> None:
    out = render("invoice", replace(CTX, payment_link=None, lines=(), credits_applied_cents=0, total_cents=0))
    assert out.text == """Hello Acme Corp,

Northwind Labs has sent you invoice INV-00042 for $0.00, due March 31, 2026.

Invoice number: INV-00042
Invoice date:   March 1, 2026
Due date:       March 31, 2026
Amount due:     $0.00

Questions about this invoice? Contact Northwind Labs.
"""
    assert "Pay this invoice" not in out.html and "<a " not in out.html


def test_the_payment_confirmation() -> None:
    out = render(EmailKind.PAYMENT_CONFIRMATION, replace(CTX, payment_link=None))
    assert out.subject == "Payment received: $1,234.50 for invoice INV-00042"
    assert out.text == """Hello Acme Corp,

Payment received: thank you. Northwind Labs received your payment of $1,234.50 for invoice INV-00042.

Receipt
Invoice number: INV-00042
Invoice date:   March 1, 2026
Due date:       March 31, 2026
Payment date:   March 5, 2026
Amount paid:    $1,234.50

  Pro Platform Fee: $50.00
  API Calls (Pro): $1,284.50
  Credits applied: -$100.00

If auto-pay is on for your contract, you can turn it off at any time by contacting Northwind Labs.
"""
    assert '<h1 style="font-size:20px;margin:0 0 16px;">Payment received</h1>' in out.html
    assert "turn it off at any time by contacting Northwind Labs." in out.html


def test_the_ach_processing_notice() -> None:
    out = render(EmailKind.PAYMENT_PROCESSING, CTX)
    assert out.subject == "ACH payment initiated: $1,234.50 for invoice INV-00042"
    assert out.text == """Hello Acme Corp,

ACH payment initiated: your bank payment of $1,234.50 for invoice INV-00042 was initiated on March 5, 2026.

Invoice number: INV-00042
Invoice date:   March 1, 2026
Due date:       March 31, 2026
Amount:         $1,234.50

Bank payments take up to 4 business days to settle. No action is needed.

Questions about this payment? Contact Northwind Labs.
"""
    assert "Bank payments take up to 4 business days to settle." in out.html


def test_the_payment_failed_notice() -> None:
    out = render(EmailKind.PAYMENT_FAILED, replace(CTX, decline_reason="Insufficient funds"))
    assert out.subject == "Payment failed for invoice INV-00042"
    assert out.text == """Hello Acme Corp,

PAYMENT FAILED: Insufficient funds.

We could not collect $1,234.50 for invoice INV-00042 from Northwind Labs.
Auto-pay has been turned off for this contract.

Invoice number: INV-00042
Invoice date:   March 1, 2026
Due date:       March 31, 2026
Amount due:     $1,234.50

Please pay this invoice manually. Pay this invoice: https://monk.example/pay/tok?a=1&b=2
"""
    assert "<strong>Payment failed:</strong> Insufficient funds." in out.html
    assert "Auto-pay has been turned off for this contract." in out.html
    assert ">Pay this invoice</a>" in out.html
    unpayable = render(EmailKind.PAYMENT_FAILED, replace(CTX, payment_link=None))
    assert unpayable.text.endswith("Amount due:     $1,234.50\n\nPlease contact Northwind Labs to pay this invoice.\n")
    assert "PAYMENT FAILED: The payment failed." in unpayable.text


def test_html_escapes_what_customers_and_organizations_wrote() -> None:
    out = render(EmailKind.INVOICE, replace(CTX, customer_name="<script>x</script> & Co",
                                            lines=(Line("Fee <b>", 100),), sender='A "B"'))
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in out.html and "<script>" not in out.html
    assert "Fee &lt;b&gt;" in out.html and "A &#34;B&#34;" in out.html
    assert "Hello <script>x</script> & Co," in out.text  # plain text is not HTML


def test_a_subject_is_one_line() -> None:
    assert subject(EmailKind.INVOICE, replace(CTX, sender="Evil\r\nBcc: x@y.z")) == (
        "Invoice INV-00042 from Evil Bcc: x@y.z: $1,234.50 due March 31, 2026")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown email kind"):
        render("refund", CTX)


@pytest.mark.parametrize(("code", "message", "reason"), [
    ("insufficient_funds", None, "Insufficient funds"),
    ("expired_card", None, "The card has expired"),
    ("card_velocity_exceeded", None, "Card velocity exceeded"),
    (None, None, "The payment failed"),
    ("card_declined", "Your card has insufficient funds.", "Your card has insufficient funds"),
    ("card_declined", "  ", "The card was declined"),
])
def test_decline_reasons_in_words(code: str | None, message: str | None, reason: str) -> None:
    assert decline_reason(code, message) == reason


def test_long_dates() -> None:
    assert [long_date(d) for d in (date(2026, 1, 5), date(2026, 12, 31))] == ["January 5, 2026", "December 31, 2026"]
