"""Stripe's webhooks for an organization and mode (concepts §18), verified with the connection's
signing secret and handled once per Stripe event id, in the request's transaction (never commits):

- ``payment_intent.succeeded`` → the attempt ``succeeded``, the invoice ``Paid`` (a payment page's
  "save this method" saves it on the contract and turns auto-pay on);
- ``payment_intent.processing`` → ``In Transit``; ``payment_intent.payment_failed`` → the attempt
  ``failed`` (auto-pay off for an auto-pay attempt), the invoice due again;
- ``charge.refunded`` (in full) → ``Refunded``;
- ``payment_method.detached`` → the method is forgotten on the organization's customers and contracts.

Events about objects Monk did not create (no attempt names them) are acknowledged and ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.gateway.stripe import IntentInfo, PaymentMethodInfo, intent_of
from monk.payments import outcomes, repository

HANDLED = ("payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed",
           "charge.refunded", "payment_method.detached")


async def handle(session: AsyncSession, org_id: str, mode: str, event: dict[str, Any], *, now: datetime,
                 method: PaymentMethodInfo | None = None) -> str:
    """Apply one verified Stripe ``event`` → what happened (``duplicate``, ``ignored`` or ``handled``).
    ``method``: the PaymentMethod of a succeeded intent, read from Stripe by the caller (to save it)."""
    if not await repository.remember_event(session, org_id, mode, str(event["id"]), str(event["type"]), now):
        return "duplicate"
    kind, obj = event["type"], event["data"]["object"]
    if kind not in HANDLED:
        return "ignored"
    if kind == "payment_method.detached":
        await repository.forget_method(session, org_id, mode, str(obj["id"]), now)
        return "handled"
    if kind == "charge.refunded":
        if not obj.get("refunded"):
            return "ignored"  # a partial refund: the invoice stays Paid
        attempt = await repository.attempt_for_intent(session, org_id, mode, attempt_id=None,
                                                      intent_id=obj.get("payment_intent"))
        refunds = (obj.get("refunds") or {}).get("data") or [{}]
        if attempt is None:
            return "ignored"
        await outcomes.refunded(session, attempt, now=now, refund_id=refunds[-1].get("id"))
        return "handled"
    intent: IntentInfo = intent_of(obj)
    attempt = await repository.attempt_for_intent(session, org_id, mode,
                                                  attempt_id=intent.metadata.get("monk_attempt_id"),
                                                  intent_id=intent.id)
    if attempt is None:
        return "ignored"
    if kind == "payment_intent.succeeded":
        await outcomes.succeeded(session, attempt, intent, now=now, method=method)
    elif kind == "payment_intent.processing":
        await outcomes.processing(session, attempt, intent, now=now)
    else:
        await outcomes.failed(session, attempt, code=intent.decline_code, message=intent.failure_message,
                              now=now, intent=intent)
    return "handled"


def needs_method(event: dict[str, Any]) -> str | None:
    """The PaymentMethod id to read from Stripe before ``handle``: a succeeded intent that saves its
    method for future use (the payment page's auto-pay box)."""
    obj = event.get("data", {}).get("object", {})
    if event.get("type") == "payment_intent.succeeded" and obj.get("setup_future_usage"):
        pm = obj.get("payment_method")
        return pm if isinstance(pm, str) else (pm or {}).get("id")
    return None

