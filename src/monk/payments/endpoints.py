"""HTTP endpoints of payments (extensions; concepts §18): Stripe's webhooks per organization and mode,
an invoice's payment attempts, and refunds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from monk.gateway import service as gateway
from monk.gateway.stripe import StripeUnavailable
from monk.invoices import repository as invoices
from monk.invoices.schemas import Invoice, invoice_out
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.errors import NotFound, ServiceUnavailable, ValidationFailed
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope
from monk.payments import refunds, repository, stripe_events
from monk.payments.schemas import PaymentAttempt, StripeWebhookAck, attempt_out

router = APIRouter(tags=["payments"])
InvoicesRead = Annotated[Principal, Depends(require("invoices:read"))]
InvoicesWrite = Annotated[Principal, Depends(require("invoices:write"))]
MODES = ("live", "test")


@router.post("/v1/payments/stripe/webhooks/{org_id}/{mode}", **typed(Data[StripeWebhookAck], 400, 404, 503))
async def stripe_webhook(org_id: str, mode: str, request: Request, session: deps.Session, clock: deps.Clock,
                         settings: deps.Settings) -> dict[str, Any]:
    """Receive one Stripe webhook for ``org_id`` in ``mode`` (the connection's ``webhookPath``; no API
    key: the ``Stripe-Signature`` header is checked with the connection's signing secret, 300 s
    tolerance). Handled once per Stripe event id → ``{"data": {"received": true, "result"}}``. 400
    forged, stale or malformed (nothing changes); 404 no such connection; 503 Stripe could not be
    reached for the PaymentMethod to save (Stripe retries the delivery)."""
    stripe = await gateway.gateway(session, org_id, mode, server_key=settings.secret_key) if mode in MODES else None
    if stripe is None:
        raise NotFound("No Stripe connection at this webhook path")
    try:
        event = stripe.event(await request.body(), request.headers.get("stripe-signature", ""))
        event_id, _ = str(event["id"]), event["data"]["object"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed(str(exc) if isinstance(exc, ValueError) else "Malformed Stripe event") from None
    method = None
    if (method_id := stripe_events.needs_method(event)) and not await repository.event_seen(session, org_id, mode,
                                                                                            event_id):
        try:
            method = await stripe.payment_method(method_id)
        except StripeUnavailable as exc:
            raise ServiceUnavailable(f"Stripe could not be reached: {exc}") from None
    try:
        result = await stripe_events.handle(session, org_id, mode, event, now=clock.now(), method=method)
    except (KeyError, TypeError, AttributeError):
        raise ValidationFailed("Malformed Stripe event: a field its type needs is missing") from None
    return envelope({"received": True, "result": result})


@router.get("/v1/invoices/{invoice_id}/payment-attempts", **typed(Data[list[PaymentAttempt]], 404))
async def payment_attempts(invoice_id: str, session: deps.Session, principal: InvoicesRead) -> dict[str, Any]:
    """The invoice's payment attempts, oldest first → ``{"data": [PaymentAttempt]}``; 404 unknown invoice."""
    inv = await invoices.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    return envelope([attempt_out(a) for a in await repository.attempts_of(session, inv.id)])


@router.post("/v1/invoices/{invoice_id}/refund", **typed(Data[Invoice], 404, 409, 503))
async def refund(invoice_id: str, session: deps.Session, principal: InvoicesWrite, clock: deps.Clock,
                 settings: deps.Settings) -> dict[str, Any]:
    """Refund a ``Paid`` invoice in full through Stripe → ``{"data": Invoice}`` (``Refunded``). 404
    unknown; 409 not ``Paid``, paid outside Monk, or refused by Stripe; 503 Stripe unreachable (nothing
    refunded; retrying is safe)."""
    inv = await refunds.refund(session, principal, invoice_id, server_key=settings.secret_key, now=clock.now())
    return envelope(invoice_out(inv))
