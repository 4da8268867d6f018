"""Refunds (an extension: ``POST /v1/invoices/{id}/refund``): a paid invoice is refunded in full through
the Stripe PaymentIntent that paid it. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from monk.gateway import service as gateway
from monk.gateway.stripe import StripeRefused, StripeUnavailable
from monk.invoices import repository as invoices
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ServiceUnavailable
from monk.models import Invoice
from monk.models.statuses import AttemptStatus, InvoiceStatus
from monk.payments import outcomes, repository


async def refund(session: AsyncSession, principal: Principal, invoice_id: str, *, server_key: str,
                 now: datetime) -> Invoice:
    """Refund the caller's ``Paid`` invoice in full through Stripe → the invoice, now ``Refunded``
    (``invoice.updated`` sent). The refund's idempotency key is derived from the paying attempt, so a
    retried request never refunds twice; should Monk fail after Stripe refunded, Stripe's
    ``charge.refunded`` webhook records it. Raises ``NotFound`` (404), ``Conflict`` (409: not ``Paid``,
    paid outside Monk, or Stripe refused the refund) and ``ServiceUnavailable`` (503: Stripe unreachable)."""
    inv = await invoices.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    if inv.status != InvoiceStatus.PAID:
        raise Conflict(f"Invoice is {inv.status}; only Paid invoices can be refunded")
    paid_by = [a for a in await repository.attempts_of(session, inv.id) if a.status == AttemptStatus.SUCCEEDED]
    if not paid_by or not paid_by[-1].payment_intent_id:
        raise Conflict("Invoice was marked paid outside Monk; refund it where it was paid")
    attempt = paid_by[-1]
    stripe = await gateway.gateway(session, inv.org_id, inv.mode, server_key=server_key)
    if stripe is None:
        raise Conflict(f"No Stripe connection in {inv.mode} mode")
    try:
        refund_id = await stripe.refund(attempt.payment_intent_id or "", idempotency_key=f"monk-refund-{attempt.id}",
                                        metadata={"monk_attempt_id": attempt.id, "monk_invoice_id": inv.id})
    except StripeUnavailable as exc:
        raise ServiceUnavailable(f"Stripe could not be reached; nothing was refunded: {exc}") from None
    except StripeRefused as exc:
        raise Conflict(f"Stripe refused the refund: {exc}") from None
    locked = await repository.attempt(session, attempt.id, lock=True)
    assert locked is not None
    await outcomes.refunded(session, locked, now=now, refund_id=refund_id)
    await invoices.reload(session, inv)
    return inv
