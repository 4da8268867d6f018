"""What a payment's outcome changes in Monk (concepts §18), in the caller's transaction (never commits):
the attempt's status, the invoice's (``Sent`` → ``In Transit`` → ``Paid`` → ``Refunded``, by the
payments mover of ``invoices.transitions``), the contract's auto-pay and saved method, an
``invoice.updated`` webhook for every status change, and the customer's email.

Each function is safe to call again with the same outcome (the reconciler, the run and Stripe's
webhooks may all learn it): an attempt already in that state changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import service as contracts
from monk.email import service as emails
from monk.gateway.stripe import IntentInfo, PaymentMethodInfo
from monk.invoices import notices
from monk.invoices import repository as invoices
from monk.invoices.transitions import Mover
from monk.models import PaymentAttempt
from monk.models.statuses import AttemptKind, AttemptStatus, EmailKind, InvoiceStatus
from monk.payments import repository

log = structlog.get_logger("monk.payments")
FINAL = (AttemptStatus.SUCCEEDED, AttemptStatus.FAILED, AttemptStatus.REFUNDED)
SETTLING_POLL = timedelta(hours=1)  # a processing payment is looked up at Stripe this often (webhooks come first)


def _close(attempt: PaymentAttempt, status: str, now: datetime, intent: IntentInfo | None) -> None:
    attempt.status, attempt.updated_at, attempt.lease_until = status, now, None
    if status in FINAL:
        attempt.finished_at = now
    if intent is not None and intent.id:
        attempt.payment_intent_id = intent.id
        attempt.payment_method_id = intent.payment_method or attempt.payment_method_id


async def _move(session: AsyncSession, invoice_id: str, target: InvoiceStatus, now: datetime,
                email: EmailKind | None = None, *, decline_code: str | None = None,
                failure_message: str | None = None) -> bool:
    """Move the invoice (``invoice.updated`` sent) and queue the customer's ``email`` about it."""
    moved = await invoices.move(session, [invoice_id], target, Mover.PAYMENTS, now)
    if moved:
        await notices.moved(session, moved, now=now)
    if email is not None and (moved or target == InvoiceStatus.SENT):
        [inv] = await invoices.by_ids(session, [invoice_id])
        await emails.queue_payment_email(session, inv, email, payment_link=inv.payment_link, now=now,
                                         decline_code=decline_code, failure_message=failure_message)
    return bool(moved)


async def succeeded(session: AsyncSession, attempt: PaymentAttempt, intent: IntentInfo, *, now: datetime,
                    method: PaymentMethodInfo | None = None) -> None:
    """The payment succeeded: the attempt ``succeeded``, the invoice ``Paid`` (from ``Sent`` or ``In
    Transit``) and the customer's receipt email queued. An attempt of the payment page that asked to
    save its method (``save_method``) saves ``method`` on the contract and turns auto-pay on. Money
    taken for an invoice another attempt had already collected is logged as an error (to refund),
    never hidden."""
    if attempt.status in (AttemptStatus.SUCCEEDED, AttemptStatus.REFUNDED):
        return
    was_live = attempt.status in (AttemptStatus.PENDING, AttemptStatus.PROCESSING)
    _close(attempt, AttemptStatus.SUCCEEDED, now, intent)
    paid = await _move(session, attempt.invoice_id, InvoiceStatus.PAID, now, EmailKind.PAYMENT_CONFIRMATION)
    if not paid and not was_live:
        log.error("a payment succeeded for an invoice already collected; refund it", attempt_id=attempt.id,
                  invoice_id=attempt.invoice_id, payment_intent=intent.id)
    if attempt.save_method and method is not None:
        contract = await repository.contract_of(session, attempt.contract_id)
        if method.type not in contracts.PAYMENT_METHOD_TYPES:
            log.warning("a payment page saved a method auto-pay cannot use; not saved", contract_id=contract.id,
                        method_type=method.type)
            return
        already_on = contract.auto_pay  # then the new method alone is the change to announce
        await contracts.set_payment_method(session, contract, method_id=method.id, method_type=method.type,
                                           brand=method.brand, last4=method.last4, now=now if already_on else None)
        if not already_on:
            await contracts.set_auto_pay(session, contract, True, now=now)  # one contract.updated for both


async def processing(session: AsyncSession, attempt: PaymentAttempt, intent: IntentInfo, *, now: datetime) -> None:
    """Stripe is settling the payment (ACH): the attempt ``processing``, the invoice ``In Transit``, the
    "ACH payment initiated" email queued."""
    if attempt.status != AttemptStatus.PENDING:
        return
    _close(attempt, AttemptStatus.PROCESSING, now, intent)
    attempt.lease_until = now + SETTLING_POLL
    await _move(session, attempt.invoice_id, InvoiceStatus.IN_TRANSIT, now, EmailKind.PAYMENT_PROCESSING)


async def failed(session: AsyncSession, attempt: PaymentAttempt, *, code: str | None, message: str | None,
                 now: datetime, intent: IntentInfo | None = None) -> None:
    """The payment failed: the attempt ``failed`` with Stripe's decline ``code`` and ``message``; an
    invoice ``In Transit`` is due again (``Sent``); an auto-pay attempt turns auto-pay off for the
    contract at once (concepts §18: no repeated attempts). The customer gets the "payment failed" email
    with the payment link after an auto-pay charge or a bank debit that bounced (a card declined on the
    payment page is told there)."""
    if attempt.status not in (AttemptStatus.PENDING, AttemptStatus.PROCESSING):
        return
    notify = attempt.kind == AttemptKind.AUTO_PAY or attempt.status == AttemptStatus.PROCESSING  # a bounced debit
    _close(attempt, AttemptStatus.FAILED, now, intent)
    attempt.decline_code = (code or "payment_failed")[:100]
    attempt.failure_message = (message or None) and message[:500]
    await _move(session, attempt.invoice_id, InvoiceStatus.SENT, now, EmailKind.PAYMENT_FAILED if notify else None,
                decline_code=attempt.decline_code, failure_message=attempt.failure_message)
    if attempt.kind == AttemptKind.AUTO_PAY:
        contract = await repository.contract_of(session, attempt.contract_id)
        if await contracts.set_auto_pay(session, contract, False, now=now):
            log.info("auto-pay turned off after a failed payment", contract_id=contract.id,
                     invoice_id=attempt.invoice_id, decline_code=attempt.decline_code)


async def refunded(session: AsyncSession, attempt: PaymentAttempt, *, now: datetime, refund_id: str | None) -> None:
    """The payment was refunded in full: the attempt ``refunded``, the invoice ``Refunded``."""
    if attempt.status != AttemptStatus.SUCCEEDED:
        return
    attempt.status, attempt.updated_at = AttemptStatus.REFUNDED, now
    attempt.refund_id = refund_id or attempt.refund_id
    await _move(session, attempt.invoice_id, InvoiceStatus.REFUNDED, now)


async def settle(session: AsyncSession, attempt: PaymentAttempt, intent: IntentInfo, *, now: datetime,
                 method: PaymentMethodInfo | None = None) -> str:
    """Record what Stripe's PaymentIntent ``intent`` says happened to ``attempt`` → the attempt's
    status afterwards (``pending`` when the intent is still waiting for its customer)."""
    if intent.status == "succeeded":
        await succeeded(session, attempt, intent, now=now, method=method)
    elif intent.status == "processing":
        await processing(session, attempt, intent, now=now)
    elif intent.status in ("requires_payment_method", "canceled") and (
            intent.decline_code or intent.status == "canceled" or attempt.kind == AttemptKind.AUTO_PAY):
        await failed(session, attempt, code=intent.decline_code or intent.status, message=intent.failure_message,
                     now=now, intent=intent)
    elif intent.id and attempt.payment_intent_id is None:
        attempt.payment_intent_id = intent.id
    return attempt.status
