"""The daily auto-pay run (concepts §18) and the reconciler of payments whose outcome Monk has not
recorded.

For each due invoice (``repository.due_for_autopay``) a ``pending`` attempt is committed before Stripe
is called: the unique index on live attempts makes a racing run's insert fail, so at most one charge
is ever in flight per invoice. The PaymentIntent is created off-session and confirmed at once, with the
attempt's id in its metadata and an idempotency key derived from it; its outcome is recorded in a second
transaction (``outcomes``). An attempt holds a lease while Stripe is called (``LEASE``, well beyond the
SDK's timeout and retry); when the process dies or Stripe is unreachable the attempt stays ``pending``
and, once the lease has run out, the reconciler looks the PaymentIntent up by the attempt's id before
charging again with the same idempotency key: nothing is charged twice nor marked ``Paid`` falsely.

Every invoice is its own unit: one that fails (an organization's Stripe outage, a bad row) is reported
and retried at the next run, never holding up the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.gateway import service as gateway
from monk.gateway.stripe import IntentInfo, PaymentMethodInfo, StripeGateway, StripeRefused, StripeUnavailable
from monk.kit.ids import new_id
from monk.kit.jobs import error_text
from monk.models import PaymentAttempt
from monk.models.statuses import AttemptKind, AttemptStatus, InvoiceStatus
from monk.payments import outcomes, repository

log = structlog.get_logger("monk.payments")
LEASE = timedelta(minutes=5)  # > the SDK's 30 s timeout × 2 tries: a lease never ends while its call runs
PAGE_LEASE = timedelta(hours=1)  # a payment page's intent is looked up this often when no webhook came
ABANDON_AFTER = timedelta(hours=24)  # a payment page's attempt nobody paid is given up (its intent cancelled)
BATCH = 100


@dataclass
class RunReport:
    """What a run did: invoices ``paid``, ``processing`` (ACH), ``failed`` (declined: auto-pay off),
    ``retry`` (Stripe unreachable or no connection: left for the next run) and ``errors`` (one line each)."""

    paid: int = 0
    processing: int = 0
    failed: int = 0
    retry: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        """Count one attempt that ended in ``status``."""
        if status == AttemptStatus.SUCCEEDED:
            self.paid += 1
        elif status == AttemptStatus.PROCESSING:
            self.processing += 1
        elif status == AttemptStatus.FAILED:
            self.failed += 1
        else:
            self.retry += 1


def through(now: datetime, run_at: time) -> date:
    """The last invoice date the worker's run charges at ``now`` (UTC): today once the day's run time
    ``run_at`` has passed, else yesterday."""
    return now.date() if now.timetz().replace(tzinfo=None) >= run_at else now.date() - timedelta(days=1)


def idempotency_key(attempt_id: str) -> str:
    """The Stripe idempotency key of an attempt's charge (the same on every retry of that attempt)."""
    return f"monk-attempt-{attempt_id}"


def metadata(attempt: PaymentAttempt, invoice_number: str | None) -> dict[str, str]:
    """The PaymentIntent metadata naming the attempt and its invoice (the reconciler finds it by them)."""
    return {"monk_attempt_id": attempt.id, "monk_invoice_id": attempt.invoice_id,
            "monk_invoice_number": invoice_number or "", "monk_org_id": attempt.org_id}


class Collector:
    """One run over ``sessions``: opens each organization's Stripe gateway once (secrets sealed with
    ``server_key``)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, server_key: str,
                 clock: Callable[[], datetime]) -> None:
        self.sessions, self.server_key, self.now = sessions, server_key, clock
        self._gateways: dict[tuple[str, str], StripeGateway | None] = {}

    async def _gateway(self, session: AsyncSession, org_id: str, mode: str) -> StripeGateway | None:
        if (org_id, mode) not in self._gateways:
            self._gateways[(org_id, mode)] = await gateway.gateway(session, org_id, mode, server_key=self.server_key)
        return self._gateways[(org_id, mode)]

    async def run(self, *, through: date) -> RunReport:
        """Reconcile unsettled attempts, then charge every invoice due through ``through`` (UTC date)."""
        report = RunReport()
        await self.reconcile(report)
        after: str | None = None
        while True:
            async with self.sessions() as session:
                ids = await repository.due_for_autopay(session, through=through, limit=BATCH, after=after)
            if not ids:
                return report
            for invoice_id in ids:
                try:
                    await self._charge(invoice_id, report)
                except Exception as exc:  # noqa: BLE001 - one invoice never stops the run
                    report.retry += 1
                    report.errors.append(f"invoice {invoice_id}: {error_text(exc, 300)}")
                    log.warning("auto-pay failed for an invoice; retried at the next run", invoice_id=invoice_id,
                                error=error_text(exc, 300))
            after = ids[-1]

    async def _start(self, invoice_id: str) -> tuple[PaymentAttempt, str | None, StripeGateway] | str | None:
        """Commit a pending attempt for the invoice → (attempt, invoice number, gateway); a status when
        the attempt ended at once (no payment method: failed); None when there is nothing to do."""
        now = self.now()
        async with self.sessions() as session:
            claimed = await repository.claim_invoice(session, invoice_id)
            if claimed is None or await repository.collected(session, invoice_id):
                return None
            inv, contract, customer, currency = claimed
            if inv.status != InvoiceStatus.SENT or inv.total_cents <= 0 or not contract.auto_pay or customer.is_paused:
                return None
            stripe = await self._gateway(session, inv.org_id, inv.mode)
            if stripe is None:
                raise StripeUnavailable(f"no Stripe connection in {inv.mode} mode")
            method = contract.payment_method_id or customer.payment_method_id
            attempt = PaymentAttempt(
                id=new_id(), org_id=inv.org_id, mode=inv.mode, created_at=now, updated_at=now, invoice_id=inv.id,
                contract_id=contract.id, customer_id=customer.id, kind=AttemptKind.AUTO_PAY,
                status=AttemptStatus.PENDING, amount_cents=inv.total_cents, currency=currency,
                stripe_customer_id=customer.payment_provider_id, payment_method_id=method, save_method=False, calls=0,
                lease_until=now + LEASE)
            session.add(attempt)
            try:
                await session.flush()
            except IntegrityError:  # another run holds a live attempt for this invoice
                await session.rollback()
                return None
            if not method or not customer.payment_provider_id:
                await outcomes.failed(session, attempt, code="no_payment_method",
                                      message="No saved payment method to charge", now=now)
                await session.commit()
                return AttemptStatus.FAILED
            number = inv.invoice_number
            await session.commit()
        return attempt, number, stripe

    async def _charge(self, invoice_id: str, report: RunReport) -> None:
        try:
            started = await self._start(invoice_id)
        except StripeUnavailable as exc:
            report.retry += 1
            report.errors.append(f"invoice {invoice_id}: {exc}")
            return
        if started is None:
            return
        if isinstance(started, str):
            report.count(started)
            return
        attempt, number, stripe = started
        report.count(await self._call(attempt, number, stripe, report))

    async def _call(self, attempt: PaymentAttempt, number: str | None, stripe: StripeGateway,
                    report: RunReport) -> str:
        """Charge for a leased pending attempt and record the outcome → the attempt's status."""
        try:
            intent = await stripe.charge(
                amount_cents=attempt.amount_cents, currency=attempt.currency,
                customer=attempt.stripe_customer_id or "", payment_method=attempt.payment_method_id or "",
                metadata=metadata(attempt, number), idempotency_key=idempotency_key(attempt.id))
        except StripeUnavailable as exc:
            await self._postpone(attempt.id, exc, report)
            return AttemptStatus.PENDING
        except StripeRefused as exc:
            intent = IntentInfo(id="", status="requires_payment_method", amount=attempt.amount_cents,
                                currency=attempt.currency, customer=attempt.stripe_customer_id,
                                payment_method=attempt.payment_method_id, decline_code=exc.decline_code or exc.code,
                                failure_message=str(exc))
        return await self._record(attempt.id, intent)

    async def _record(self, attempt_id: str, intent: IntentInfo, method: PaymentMethodInfo | None = None) -> str:
        async with self.sessions() as session:
            attempt = await repository.attempt(session, attempt_id, lock=True)
            if attempt is None:
                return AttemptStatus.FAILED
            status = await outcomes.settle(session, attempt, intent, now=self.now(), method=method)
            await session.commit()
        return status

    async def _postpone(self, attempt_id: str, exc: Exception, report: RunReport) -> None:
        """Stripe's answer is unknown: keep the attempt pending; its lease runs out and the reconciler
        looks the PaymentIntent up before trying again."""
        report.errors.append(f"attempt {attempt_id}: Stripe unavailable: {exc}")
        async with self.sessions() as session:
            attempt = await repository.attempt(session, attempt_id, lock=True)
            if attempt is not None:
                attempt.last_error, attempt.calls, attempt.updated_at = error_text(exc), attempt.calls + 1, self.now()
                await session.commit()

    async def reconcile(self, report: RunReport | None = None) -> RunReport:
        """Settle the live attempts whose lease ran out: the PaymentIntent found by the attempt's id
        (its recorded id, else Stripe's metadata search) is recorded; an auto-pay attempt Stripe never
        saw is charged again with its idempotency key; a payment-page attempt nobody paid is left to
        its page. Returns the report."""
        report = report or RunReport()
        async with self.sessions() as session:
            ids = await repository.unsettled(session, now=self.now(), limit=BATCH * 10)
        for attempt_id in ids:
            try:
                await self._reconcile_one(attempt_id, report)
            except Exception as exc:  # noqa: BLE001 - one attempt never stops the others
                report.errors.append(f"attempt {attempt_id}: {error_text(exc, 300)}")
                log.warning("reconciling a payment failed; retried later", attempt_id=attempt_id,
                            error=error_text(exc, 300))
        return report

    async def _reconcile_one(self, attempt_id: str, report: RunReport) -> None:
        now = self.now()
        async with self.sessions() as session:
            if not await repository.lease(session, attempt_id, now=now, until=now + LEASE):
                return  # settled meanwhile, or another process holds it
            attempt = await repository.attempt(session, attempt_id)
            assert attempt is not None
            if attempt.kind == AttemptKind.PAGE:
                attempt.lease_until = now + PAGE_LEASE
            stripe = await self._gateway(session, attempt.org_id, attempt.mode)
            claimed = await repository.claim_invoice(session, attempt.invoice_id)
            number = claimed[0].invoice_number if claimed else None
            await session.commit()
        if stripe is None:
            report.retry += 1
            return
        try:
            intent = (await stripe.intent(attempt.payment_intent_id) if attempt.payment_intent_id
                      else await stripe.find_intent("monk_attempt_id", attempt.id))
        except StripeUnavailable as exc:
            await self._postpone(attempt.id, exc, report)
            report.retry += 1
            return
        if attempt.kind == AttemptKind.PAGE and now - attempt.created_at >= ABANDON_AFTER and (
                intent is None or intent.status not in ("succeeded", "processing")):
            await self._abandon(attempt.id, intent.id if intent else None, stripe)
        elif intent is not None:
            method = (await stripe.payment_method(intent.payment_method)
                      if attempt.save_method and intent.status == "succeeded" and intent.payment_method else None)
            report.count(await self._record(attempt.id, intent, method))
        elif attempt.kind == AttemptKind.AUTO_PAY:
            report.count(await self._call(attempt, number, stripe, report))

    async def _abandon(self, attempt_id: str, intent_id: str | None, stripe: StripeGateway) -> None:
        """Give up a payment page's attempt nobody paid: its intent cancelled at Stripe (so it cannot be
        paid any more), the attempt ``failed`` (``abandoned``); the invoice is free for auto-pay again."""
        if intent_id:
            await stripe.cancel_intent(intent_id)
        async with self.sessions() as session:
            attempt = await repository.attempt(session, attempt_id, lock=True)
            if attempt is not None and attempt.status == AttemptStatus.PENDING:
                await outcomes.failed(session, attempt, code="abandoned", message="Not paid on the payment page",
                                      now=self.now())
                await session.commit()
