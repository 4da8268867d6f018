"""Queue emails to a customer in the caller's transaction (never commits): the email row commits with
the change that caused it, or not at all, and the job (``email.send``) delivers it after the commit.

Who gets them: the customer's contacts with the role ``accounts_payable``, each as its
``emailRecipientType`` (``to``, the default, ``cc`` or ``bcc``), once per address; nothing is queued
when the customer has none. The email is rendered now (``email.render``), so every retry sends the
same subject and bodies. Queueing never fails the caller's change for the email's sake: an email that
cannot be rendered is logged as an error and not queued (database errors still propagate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from monk.email import render, repository
from monk.kit.ids import new_id
from monk.models import EmailMessage, Invoice
from monk.models.statuses import EmailKind, EmailStatus

log = structlog.get_logger("monk.email")
ROLE = "accounts_payable"
RECIPIENT_TYPES = ("to", "cc", "bcc")
PAYMENT_KINDS = (EmailKind.PAYMENT_CONFIRMATION, EmailKind.PAYMENT_PROCESSING, EmailKind.PAYMENT_FAILED)


def recipients(contacts: Sequence[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The recipients among a customer's stored ``contacts`` (their API shape: ``email``, ``name``,
    ``roles``, ``emailRecipientType``): those with the role ``accounts_payable``, in order, each address
    once (compared without case), as ``{"email", "name", "type"}`` with ``type`` ``to``/``cc``/``bcc``
    (``to`` when absent or unknown) and ``name`` "" when none."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for contact in contacts or ():
        email = str(contact.get("email") or "").strip()
        if ROLE not in (contact.get("roles") or ()) or not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        kind = contact.get("emailRecipientType")
        out.append({"email": email, "name": " ".join(str(contact.get("name") or "").split()),
                    "type": kind if kind in RECIPIENT_TYPES else "to"})
    return out


async def context(session: AsyncSession, invoice: Invoice, *, payment_link: str | None, now: datetime,
                  decline_reason: str | None = None, customer_name: str | None = None) -> render.EmailContext:
    """What an email about ``invoice`` says: its organization's and customer's names, number, dates,
    totals (cents) and lines, ``payment_link``, and ``now``'s date as the day it is about."""
    sender = await repository.organization_name(session, invoice.org_id) or "Monk"
    if customer_name is None:
        found = await repository.customer(session, invoice.customer_id)
        customer_name = found.name if found is not None else ""
    lines = tuple(render.Line(name=line.name, amount_cents=line.amount_cents)
                  for line in await repository.invoice_lines(session, invoice.id))
    return render.EmailContext(
        sender=sender, customer_name=customer_name, invoice_number=invoice.invoice_number or invoice.id,
        invoice_date=invoice.invoice_date, due_date=invoice.due_date, total_cents=invoice.total_cents,
        subtotal_cents=invoice.subtotal_cents, credits_applied_cents=invoice.credits_applied_cents, lines=lines,
        occurred_on=now.date(), payment_link=payment_link, decline_reason=decline_reason)


async def _queue(session: AsyncSession, invoice: Invoice, kind: EmailKind, *, payment_link: str | None,
                 now: datetime, decline_reason: str | None = None) -> EmailMessage | None:
    customer = await repository.customer(session, invoice.customer_id)
    to = recipients(customer.contacts if customer is not None else None)
    if customer is None or not to:
        log.info("email not queued: the customer has no accounts_payable contact", kind=kind.value,
                 invoice_id=invoice.id, customer_id=invoice.customer_id)
        return None
    ctx = await context(session, invoice, payment_link=payment_link, now=now, decline_reason=decline_reason,
                        customer_name=customer.name)
    try:
        rendered = render.render(kind, ctx)
    except Exception as exc:  # noqa: BLE001 - an email must never fail the change that caused it
        log.error("email not queued: it could not be rendered", kind=kind.value, invoice_id=invoice.id,
                  error=f"{type(exc).__name__}: {exc}"[:300])
        return None
    email = EmailMessage(
        id=new_id(), org_id=invoice.org_id, mode=invoice.mode, kind=kind.value, invoice_id=invoice.id, recipients=to,
        subject=rendered.subject, text_body=rendered.text, html_body=rendered.html, status=EmailStatus.PENDING,
        attempts=0, next_attempt_at=now, created_at=now, updated_at=now)
    session.add(email)
    return email


async def queue_invoice_email(session: AsyncSession, invoice: Invoice, *, payment_link: str | None,
                              now: datetime) -> EmailMessage | None:
    """Queue the ``invoice`` email for a just-finalized invoice (of an invoice-and-collect contract: the
    caller decides who gets one): number, invoice and due dates, amount due (``total_cents`` as
    dollars), its lines and, when ``payment_link`` is given (the invoice's ``payment_link``), "Pay this
    invoice". ``invoice`` is the ``Invoice`` row with its number and totals set; its lines are read from
    the session (flush them first). ``now`` (tz-aware UTC) is when it is queued and first due.

    Returns the pending ``EmailMessage`` added to the session, or None when nothing was queued (no
    ``accounts_payable`` contact, or the email could not be rendered: logged). Never commits."""
    return await _queue(session, invoice, EmailKind.INVOICE, payment_link=payment_link, now=now)


async def queue_payment_email(session: AsyncSession, invoice: Invoice, kind: EmailKind | str, *,
                              payment_link: str | None, decline_code: str | None = None,
                              failure_message: str | None = None, now: datetime) -> EmailMessage | None:
    """Queue a payment email about ``invoice`` (its amount is ``total_cents``), ``kind`` one of:

    - ``payment_confirmation``: "Payment received", a receipt (call when the invoice is ``Paid``);
    - ``payment_processing``: "ACH payment initiated", settles in up to 4 business days (``In Transit``);
    - ``payment_failed``: a failed auto-pay charge: a banner with the decline reason (Stripe's
      ``failure_message`` when given, else the meaning of ``decline_code``, e.g. ``insufficient_funds``),
      "Auto-pay has been turned off for this contract", and ``payment_link`` to pay by hand.

    ``payment_link`` is the invoice's payment page (None: no link). ``now`` (tz-aware UTC) is when it is
    queued and first due, and the payment's date in the email. Returns the pending ``EmailMessage``
    added to the session, or None when nothing was queued (no ``accounts_payable`` contact, or not
    renderable: logged). Raises ``ValueError`` for a ``kind`` that is not a payment email. Never commits."""
    try:
        payment_kind = EmailKind(kind)
    except ValueError:
        payment_kind = None
    if payment_kind not in PAYMENT_KINDS:
        raise ValueError(f"not a payment email kind: {kind!r}")
    assert payment_kind is not None
    reason = render.decline_reason(decline_code, failure_message) if payment_kind is EmailKind.PAYMENT_FAILED else None
    return await _queue(session, invoice, payment_kind, payment_link=payment_link, now=now, decline_reason=reason)
