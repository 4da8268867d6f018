"""API shapes of payments (extensions; concepts §18)."""

from __future__ import annotations

from typing import Any

from monk.kit.clock import iso_ms
from monk.kit.schemas import Instant, ResponseModel
from monk.models import PaymentAttempt as AttemptRow


class PaymentAttempt(ResponseModel):
    """One try to collect an invoice through Stripe: ``kind`` ``auto_pay`` (the daily run) or ``page``
    (the payment page); ``status`` ``pending`` | ``processing`` | ``succeeded`` | ``failed`` |
    ``refunded``; ``amountCents`` integer cents; ``declineCode``/``failureMessage`` as Stripe gave them."""

    id: str
    invoice_id: str
    contract_id: str
    kind: str
    status: str
    amount_cents: int
    currency: str
    payment_intent_id: str | None
    payment_method_id: str | None
    decline_code: str | None
    failure_message: str | None
    refund_id: str | None
    created_at: Instant
    finished_at: Instant | None


class StripeWebhookAck(ResponseModel):
    """The answer to Stripe: ``result`` is ``handled``, ``duplicate`` (the event id was seen before) or
    ``ignored`` (not about anything Monk created)."""

    received: bool
    result: str


def attempt_out(a: AttemptRow) -> dict[str, Any]:
    """The API shape of an attempt (``PaymentAttempt``)."""
    return {"id": a.id, "invoiceId": a.invoice_id, "contractId": a.contract_id, "kind": a.kind, "status": a.status,
            "amountCents": a.amount_cents, "currency": a.currency, "paymentIntentId": a.payment_intent_id,
            "paymentMethodId": a.payment_method_id, "declineCode": a.decline_code,
            "failureMessage": a.failure_message, "refundId": a.refund_id, "createdAt": iso_ms(a.created_at),
            "finishedAt": iso_ms(a.finished_at) if a.finished_at else None}
