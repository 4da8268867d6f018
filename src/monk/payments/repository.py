"""Payment queries: invoices due for auto-pay, payment attempts, Stripe events already handled, and
saved payment methods Stripe detached."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, exists, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import claiming, insert_for
from monk.kit.ids import new_id
from monk.models import Contract, Customer, Invoice, Organization, PaymentAttempt, Plan, StripeEvent
from monk.models.statuses import AttemptStatus, InvoiceStatus

EVENTS = cast(Table, StripeEvent.__table__)
LIVE = (AttemptStatus.PENDING, AttemptStatus.PROCESSING)
COLLECTED = (AttemptStatus.PENDING, AttemptStatus.PROCESSING, AttemptStatus.SUCCEEDED, AttemptStatus.REFUNDED)


def _uncollected() -> Any:
    """No attempt of the invoice is live or has collected it."""
    return ~exists().where(PaymentAttempt.invoice_id == Invoice.id, PaymentAttempt.status.in_(COLLECTED))


async def due_for_autopay(session: AsyncSession, *, through: date, limit: int,
                          after: str | None = None) -> list[str]:
    """Ids of the invoices the auto-pay run charges (concepts §18): finalized (``Sent``), ``invoiceDate``
    ≤ ``through``, amount due > 0, on a contract with auto-pay on, customer not paused, not paid nor
    in flight; in id order after ``after``, at most ``limit`` (every organization: the run's own)."""
    query = (select(Invoice.id).join(Contract, Contract.id == Invoice.contract_id)
             .join(Customer, Customer.id == Invoice.customer_id)
             .where(Invoice.status == InvoiceStatus.SENT, Invoice.invoice_date <= through, Invoice.total_cents > 0,
                    Contract.auto_pay.is_(True), Customer.is_paused.is_(False), _uncollected())
             .order_by(Invoice.id).limit(limit))
    if after is not None:
        query = query.where(Invoice.id > after)
    return list((await session.execute(query)).scalars().all())


async def claim_invoice(session: AsyncSession, invoice_id: str) -> tuple[Invoice, Contract, Customer, str] | None:
    """The invoice with its contract, customer and plan currency, its row locked for this transaction
    (skipped, None, when another transaction holds it)."""
    row = (await session.execute(claiming(
        select(Invoice).where(Invoice.id == invoice_id)))).scalar_one_or_none()
    if row is None:
        return None
    found = (await session.execute(select(Contract, Customer, Plan.currency)
                                   .join(Customer, Customer.id == Contract.customer_id)
                                   .join(Plan, Plan.id == Contract.plan_id)
                                   .where(Contract.id == row.contract_id))).one()
    return row, found[0], found[1], str(found[2])


async def collected(session: AsyncSession, invoice_id: str) -> bool:
    """Whether an attempt of the invoice is live or has collected it."""
    return bool((await session.execute(select(exists().where(
        PaymentAttempt.invoice_id == invoice_id, PaymentAttempt.status.in_(COLLECTED))))).scalar())


async def attempt(session: AsyncSession, attempt_id: str, *, lock: bool = False) -> PaymentAttempt | None:
    """The attempt ``attempt_id`` read afresh (locked for this transaction when ``lock``)."""
    query = select(PaymentAttempt).where(PaymentAttempt.id == attempt_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def attempt_for_intent(session: AsyncSession, org_id: str, mode: str, *, attempt_id: str | None,
                             intent_id: str | None) -> PaymentAttempt | None:
    """The organization's attempt named by a PaymentIntent's metadata (``attempt_id``) or by the
    intent's id, locked for this transaction; None when it is not Monk's."""
    conditions = []
    if attempt_id:
        conditions.append(PaymentAttempt.id == attempt_id)
    if intent_id:
        conditions.append(PaymentAttempt.payment_intent_id == intent_id)
    if not conditions:
        return None
    return (await session.execute(select(PaymentAttempt).where(
        PaymentAttempt.org_id == org_id, PaymentAttempt.mode == mode, or_(*conditions))
        .order_by(PaymentAttempt.created_at.desc()).limit(1)
        .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


async def attempts_of(session: AsyncSession, invoice_id: str) -> list[PaymentAttempt]:
    """The invoice's attempts, oldest first."""
    return list((await session.execute(select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id)
                                       .order_by(PaymentAttempt.created_at))).scalars().all())


async def failed_since(session: AsyncSession, principal: Principal, *, since: datetime,
                       limit: int) -> tuple[list[PaymentAttempt], int]:
    """The caller's failed payment attempts created since ``since``: the latest ``limit`` of them and
    how many there are."""
    cond = (PaymentAttempt.org_id == principal.org_id, PaymentAttempt.mode == principal.mode,
            PaymentAttempt.status == AttemptStatus.FAILED, PaymentAttempt.created_at >= since)
    total = (await session.execute(select(func.count()).select_from(PaymentAttempt).where(*cond))).scalar_one()
    rows = (await session.execute(select(PaymentAttempt).where(*cond).order_by(PaymentAttempt.created_at.desc())
                                  .limit(limit))).scalars().all()
    return list(rows), int(total)


async def unsettled(session: AsyncSession, *, now: datetime, limit: int) -> list[str]:
    """Ids of the live attempts whose lease ran out (a crash, an outage, or a payment Stripe is still
    settling), oldest first: the reconciler's work."""
    return list((await session.execute(select(PaymentAttempt.id).where(
        PaymentAttempt.status.in_(LIVE),
        or_(PaymentAttempt.lease_until.is_(None), PaymentAttempt.lease_until <= now))
        .order_by(PaymentAttempt.created_at).limit(limit))).scalars().all())


async def lease(session: AsyncSession, attempt_id: str, *, now: datetime, until: datetime) -> bool:
    """Take the lease of a live attempt whose lease ran out (compare-and-set): only the holder calls
    Stripe for it until ``until``. Returns whether this call took it."""
    result = await session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id, PaymentAttempt.status.in_(LIVE),
        or_(PaymentAttempt.lease_until.is_(None), PaymentAttempt.lease_until <= now),
    ).values(lease_until=until, updated_at=now))
    return int(cast("CursorResult[Any]", result).rowcount) == 1


async def remember_event(session: AsyncSession, org_id: str, mode: str, event_id: str, event_type: str,
                         now: datetime) -> bool:
    """Record that Stripe event ``event_id`` is handled; False when it already was (a redelivery)."""
    stmt = insert_for(session, EVENTS).values(
        id=new_id(), org_id=org_id, mode=mode, event_id=event_id, type=event_type, received_at=now,
    ).on_conflict_do_nothing(index_elements=["org_id", "mode", "event_id"])
    result = await session.execute(stmt)
    return int(cast("CursorResult[Any]", result).rowcount) == 1


async def forget_method(session: AsyncSession, org_id: str, mode: str, method_id: str, now: datetime) -> int:
    """Clear the saved payment method ``method_id`` (detached at Stripe) from the organization's
    customers and contracts; returns how many rows held it."""
    cleared = 0
    model: type[Customer] | type[Contract]
    for model in (Customer, Contract):
        result = await session.execute(update(model).where(
            model.org_id == org_id, model.mode == mode, model.payment_method_id == method_id,
        ).values(payment_method_id=None, payment_method_type=None, payment_method_brand=None,
                 payment_method_last4=None, updated_at=now))
        cleared += int(cast("CursorResult[Any]", result).rowcount)
    return cleared


async def event_seen(session: AsyncSession, org_id: str, mode: str, event_id: str) -> bool:
    """Whether Stripe event ``event_id`` was handled already."""
    return bool((await session.execute(select(exists().where(
        StripeEvent.org_id == org_id, StripeEvent.mode == mode, StripeEvent.event_id == event_id)))).scalar())


async def live_attempt(session: AsyncSession, invoice_id: str) -> PaymentAttempt | None:
    """The invoice's live (pending or processing) attempt, locked for this transaction."""
    return (await session.execute(select(PaymentAttempt).where(
        PaymentAttempt.invoice_id == invoice_id, PaymentAttempt.status.in_(LIVE))
        .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


async def contract_of(session: AsyncSession, contract_id: str) -> Contract:
    """The contract ``contract_id`` (an attempt's or an invoice's: it exists)."""
    return (await session.execute(select(Contract).where(Contract.id == contract_id))).scalar_one()


async def customer_of(session: AsyncSession, customer_id: str, *, lock: bool = False) -> Customer | None:
    """The customer ``customer_id`` (locked for this transaction when ``lock``)."""
    query = select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


async def organization_name(session: AsyncSession, org_id: str) -> str:
    """The organization's name (who bills, on the payment page)."""
    return str((await session.execute(select(Organization.name).where(Organization.id == org_id))).scalar_one())
