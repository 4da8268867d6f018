"""The payment page behind an invoice's ``paymentLink`` (concepts §18): what it shows, and the
PaymentIntent it asks Stripe for when the customer pays.

Paying is two transactions around Stripe's calls, as in the auto-pay run: a ``page`` attempt is
committed first (the unique index on live attempts keeps it the invoice's only payment in flight),
then the Stripe customer is created if the customer has none, then the PaymentIntent (its idempotency
key derived from the attempt; ``setup_future_usage=off_session`` when the customer asks to save the
method and enable auto-pay), whose id is recorded. The page's Stripe.js confirms it; Stripe's
``payment_intent.succeeded`` webhook (or the reconciler) marks the invoice ``Paid`` and saves the method
on the contract. An open page reuses its attempt; an attempt nobody paid is abandoned after
``ABANDON_AFTER`` (its intent cancelled), freeing the invoice for auto-pay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.gateway import repository as connections
from monk.gateway import service as gateway
from monk.gateway.stripe import StripeGateway, StripeRefused, StripeUnavailable
from monk.invoices import repository as invoices
from monk.invoices.schemas import invoice_out
from monk.kit.errors import Conflict, NotFound, ServiceUnavailable
from monk.kit.ids import new_id
from monk.models import Customer, Invoice, PaymentAttempt
from monk.models.statuses import AttemptKind, AttemptStatus, InvoiceStatus
from monk.payments import repository
from monk.payments.autopay import PAGE_LEASE, idempotency_key, metadata
from monk.payments.links import PaymentLinks

CLOSED = {InvoiceStatus.PAID: "This invoice is paid. Thank you!",
          InvoiceStatus.IN_TRANSIT: "A payment for this invoice is being processed.",
          InvoiceStatus.REFUNDED: "This invoice was refunded.",
          InvoiceStatus.CANCELLED: "This invoice was cancelled."}


@dataclass(frozen=True)
class PageView:
    """What the page shows: the invoice as the API returns it (with ``lineItems``), the customer's
    name, the ``seller`` (the organization billing), ``message`` when it cannot be paid (paid,
    processing, cancelled…), and what the Stripe form
    needs (``publishable_key``, ``stripe_js``: Stripe.js's address, the connection's server for a
    Stripe-compatible one)."""

    invoice: dict[str, Any]
    customer: str
    seller: str
    message: str | None
    publishable_key: str | None
    stripe_js: str
    auto_pay: bool


async def _invoice(session: AsyncSession, links: PaymentLinks, token: str, now: datetime) -> Invoice:
    found = await invoices.by_ids(session, [links.open(token, now=now)])
    inv = found[0] if found else None
    if inv is None or inv.payment_link is None:
        raise NotFound("No such invoice")
    return inv


async def view(session: AsyncSession, links: PaymentLinks, token: str, *, now: datetime) -> PageView:
    """The page of the invoice ``token`` names. Raises ``links.LinkRefused`` (tampered or expired)
    and ``NotFound`` (no such invoice, or one that never had a link)."""
    inv = await _invoice(session, links, token, now)
    lines = (await invoices.lines_of(session, [inv.id]))[inv.id]
    customer = await repository.customer_of(session, inv.customer_id)
    conn = await connections.connection(session, inv.org_id, inv.mode)
    contract_auto_pay = bool((await repository.contract_of(session, inv.contract_id)).auto_pay)
    message = CLOSED.get(InvoiceStatus(inv.status))
    if message is None and inv.total_cents <= 0:
        message = "Nothing is due on this invoice."
    if message is None and (conn is None or not conn.publishable_key):
        message = "Online payment is not available for this invoice; please contact the sender."
    base = conn.api_base if conn is not None and conn.api_base else "https://js.stripe.com"
    return PageView(invoice=invoice_out(inv, lines), customer=customer.name if customer else "",
                    seller=await repository.organization_name(session, inv.org_id),
                    message=message, publishable_key=conn.publishable_key if conn else None,
                    stripe_js=f"{base}/js.stripe.com/v3/" if conn is not None and conn.api_base else f"{base}/v3/",
                    auto_pay=contract_auto_pay)


@dataclass(frozen=True)
class Started:
    """A PaymentIntent for the page to confirm: its ``client_secret`` and id."""

    client_secret: str
    payment_intent_id: str


async def _opened(session: AsyncSession, inv: Invoice, server_key: str) -> StripeGateway:
    stripe = await gateway.gateway(session, inv.org_id, inv.mode, server_key=server_key)
    if stripe is None:
        raise Conflict("Online payment is not available for this invoice")
    return stripe


async def _begin(sessions: async_sessionmaker[AsyncSession], links: PaymentLinks, token: str, *, save: bool,
                 now: datetime, server_key: str) -> tuple[PaymentAttempt, Customer, str | None, StripeGateway]:
    """Commit the page attempt (or find the open page's own) → (attempt, customer, number, gateway)."""
    async with sessions() as session:
        inv = await _invoice(session, links, token, now)
        claimed = await repository.claim_invoice(session, inv.id)
        if claimed is None:
            raise Conflict("This invoice is being paid; try again in a moment")
        inv, contract, customer, currency = claimed
        if inv.status != InvoiceStatus.SENT or inv.total_cents <= 0:
            raise Conflict(CLOSED.get(InvoiceStatus(inv.status), "Nothing is due on this invoice"))
        stripe = await _opened(session, inv, server_key)
        live = await repository.live_attempt(session, inv.id)
        if live is not None and (live.kind != AttemptKind.PAGE or live.status != AttemptStatus.PENDING):
            raise Conflict("A payment for this invoice is already in progress")
        if live is not None and live.save_method != save:  # the box was ticked or unticked: a new intent
            live.status, live.decline_code = AttemptStatus.FAILED, "replaced"
            live.finished_at = live.updated_at = now
            await session.flush()
            live = None
        if live is None:
            live = PaymentAttempt(
                id=new_id(), org_id=inv.org_id, mode=inv.mode, created_at=now, updated_at=now, invoice_id=inv.id,
                contract_id=contract.id, customer_id=customer.id, kind=AttemptKind.PAGE, status=AttemptStatus.PENDING,
                amount_cents=inv.total_cents, currency=currency, stripe_customer_id=customer.payment_provider_id,
                save_method=save, calls=0, lease_until=now + PAGE_LEASE)
            session.add(live)
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict("A payment for this invoice is already in progress") from None
        number = inv.invoice_number
        await session.commit()
        return live, customer, number, stripe


async def start(sessions: async_sessionmaker[AsyncSession], links: PaymentLinks, token: str, *, save: bool,
                now: datetime, server_key: str, clock: Callable[[], datetime]) -> Started:
    """Start (or resume) paying the invoice ``token`` names → the PaymentIntent to confirm. ``save``:
    save the method for future off-session charges and turn auto-pay on once paid. Raises
    ``LinkRefused``, ``NotFound``, ``Conflict`` (409: nothing due, paid, or another payment in flight)
    and ``ServiceUnavailable`` (503: Stripe unreachable; nothing charged)."""
    attempt, customer, number, stripe = await _begin(sessions, links, token, save=save, now=now,
                                                     server_key=server_key)
    try:
        if attempt.payment_intent_id:
            found = await stripe.intent(attempt.payment_intent_id)
            if found is not None and found.client_secret:
                return Started(found.client_secret, found.id)
        stripe_customer = attempt.stripe_customer_id or await _stripe_customer(sessions, stripe, customer, clock)
        intent = await stripe.create_intent(
            amount_cents=attempt.amount_cents, currency=attempt.currency, customer=stripe_customer,
            metadata=metadata(attempt, number), save_method=save, idempotency_key=idempotency_key(attempt.id))
    except StripeUnavailable as exc:
        raise ServiceUnavailable(f"Stripe could not be reached; nothing was charged: {exc}") from None
    except StripeRefused as exc:
        raise Conflict(f"Stripe refused the payment: {exc}") from None
    async with sessions() as session:
        held = await repository.attempt(session, attempt.id, lock=True)
        if held is not None:
            held.payment_intent_id, held.stripe_customer_id, held.updated_at = intent.id, stripe_customer, clock()
            await session.commit()
    return Started(intent.client_secret or "", intent.id)


async def _stripe_customer(sessions: async_sessionmaker[AsyncSession], stripe: StripeGateway, customer: Customer,
                           clock: Callable[[], datetime]) -> str:
    """The customer's Stripe customer, created on demand (idempotent per Monk customer) and linked."""
    contacts = [c for c in customer.contacts or [] if "accounts_payable" in (c.get("roles") or [])]
    created = await stripe.create_customer(
        name=customer.name, email=(contacts or customer.contacts or [{}])[0].get("email"),
        metadata={"monk_customer_id": customer.id}, idempotency_key=f"monk-customer-{customer.id}")
    async with sessions() as session:
        row = await repository.customer_of(session, customer.id, lock=True)
        if row is not None and row.payment_provider_id is None:
            row.payment_provider_id, row.provider, row.updated_at = created, "stripe", clock()
            await session.commit()
            return created
        return (row.payment_provider_id if row is not None else None) or created
