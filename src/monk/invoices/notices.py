"""``invoice.created`` and ``invoice.updated`` webhooks (reference §13.2–13.3), written to the outbox in
the transaction of the change.

The payload is the invoice as the API returns it, with ``invoiceNum`` in place of ``invoiceNumber``
(as the reference documents the webhook), ``paymentLink`` and the ``customer`` object. A status change
and finalization send ``invoice.updated`` at once. A change of an open invoice's totals driven by usage
(matching, re-rating, a plan change) only marks the invoice (``webhook_due_at``); the worker writes
one ``invoice.updated`` with the invoice's state at that moment, at most one per invoice per
``MONK_WEBHOOK_COALESCE_SECONDS`` (60), so a stream of events does not become a stream of webhooks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from monk.customers import repository as customers
from monk.customers.schemas import customer_out
from monk.invoices import repository
from monk.invoices.schemas import invoice_out
from monk.kit.jobs import error_text
from monk.models import Invoice
from monk.webhooks import outbox
from monk.webhooks.catalogue import INVOICE_CREATED, INVOICE_UPDATED

NOTICE_BATCH = 200
RETRY_LATER = timedelta(minutes=10)
log = structlog.get_logger("monk.webhooks")


async def payload(session: AsyncSession, inv: Invoice) -> dict[str, Any]:
    """The webhook payload of ``inv``: its API shape, ``invoiceNum`` for ``invoiceNumber``, and the
    customer as the API returns it."""
    out = invoice_out(inv)
    shaped: dict[str, Any] = {("invoiceNum" if k == "invoiceNumber" else k): v for k, v in out.items()}
    customer = await customers.by_id(session, inv.customer_id)
    shaped["customer"] = customer_out(customer) if customer is not None else None
    return shaped


async def _send(session: AsyncSession, inv: Invoice, event_type: str, now: datetime) -> None:
    await outbox.emit(session, org_id=inv.org_id, mode=inv.mode, event_type=event_type, resource_id=inv.id,
                      payload=await payload(session, inv), now=now)
    inv.webhook_due_at = None  # this event carries the latest state: nothing more is owed
    inv.webhook_sent_at = now


async def created(session: AsyncSession, inv: Invoice, *, now: datetime) -> None:
    """``invoice.created`` for a new invoice (call it once its lines and totals are set)."""
    await _send(session, inv, INVOICE_CREATED, now)


async def updated(session: AsyncSession, invoices: list[Invoice], *, now: datetime) -> None:
    """``invoice.updated`` now, for invoices whose status changed or that were finalized."""
    for inv in invoices:
        await _send(session, inv, INVOICE_UPDATED, now)


async def moved(session: AsyncSession, invoice_ids: list[str], *, now: datetime) -> None:
    """``invoice.updated`` for the invoices ``invoice_ids`` whose status just changed."""
    await updated(session, await repository.by_ids(session, invoice_ids), now=now)


def totals_changed(inv: Invoice, *, now: datetime) -> None:
    """The totals of the open invoice ``inv`` changed with usage: owe one coalesced ``invoice.updated``."""
    if inv.webhook_due_at is None:
        inv.webhook_due_at = now


async def due_ids(session: AsyncSession, *, now: datetime, window: timedelta,
                  limit: int = NOTICE_BATCH * 10) -> list[str]:
    """Ids of the invoices whose coalesced ``invoice.updated`` is due (marked by ``totals_changed``,
    last event at least ``window`` old), oldest first."""
    return [inv.id for inv in await repository.notices_due(session, now=now, quiet_since=now - window, limit=limit,
                                                           claim=False)]


async def send_due(session: AsyncSession, *, now: datetime, window: timedelta, ids: list[str] | None = None) -> int:
    """Write the coalesced ``invoice.updated`` events that are due (of ``ids`` when given), each
    with the invoice's state now. Returns how many were written."""
    due = await repository.notices_due(session, now=now, quiet_since=now - window, limit=NOTICE_BATCH, ids=ids)
    await updated(session, due, now=now)
    return len(due)


async def postpone(session: AsyncSession, invoice_id: str, error: BaseException, *, now: datetime) -> None:
    """The invoice's coalesced ``invoice.updated`` could not be written: try it again in
    ``RETRY_LATER`` (its other work is not held up)."""
    if await repository.postpone_notice(session, invoice_id, now + RETRY_LATER) is not None:
        log.warning("invoice.updated webhook postponed", invoice_id=invoice_id, error=error_text(error, 300))
