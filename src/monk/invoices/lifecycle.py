"""Status changes of invoices asked for through the API: paid outside Monk, approved after a hold
for review. Never commits (the request does)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from monk.invoices import notices, repository, transitions
from monk.invoices.transitions import Mover
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound
from monk.models import Invoice
from monk.models.statuses import InvoiceStatus


def _not_payable(current: str) -> str:
    return f"Invoice is {current}; only Sent invoices can be marked paid"


async def mark_paid(session: AsyncSession, principal: Principal, invoice_id: str, *, now: datetime) -> Invoice:
    """Record that the caller's finalized (``Sent``) invoice was paid outside Monk; returns the
    invoice, now ``Paid``. Raises ``NotFound`` for an unknown invoice (or one of another organization
    or mode) and ``transitions.IllegalTransition`` (409) when the table does not let the API move it
    to ``Paid`` — drafts cannot be paid, nor can an invoice be paid twice."""
    inv = await repository.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    transitions.check(inv.status, InvoiceStatus.PAID, Mover.API, _not_payable(inv.status))
    if not await repository.move(session, [inv.id], InvoiceStatus.PAID, Mover.API, now):
        await repository.reload(session, inv)  # another request moved it first
        raise transitions.IllegalTransition(inv.status, InvoiceStatus.PAID, Mover.API, _not_payable(inv.status))
    await repository.reload(session, inv)
    await notices.updated(session, [inv], now=now)
    return inv


async def approve(session: AsyncSession, principal: Principal, invoice_id: str, *, now: datetime) -> Invoice:
    """Approve the caller's invoice held for review (an extension; concepts §12 "Alert Only": its
    wallet ran dry on its usage): finalization takes it on its next pass, as it stands then.
    Returns the invoice (``heldForReview`` false). Raises ``NotFound`` (404) and ``Conflict`` (409)
    when the invoice is not held for review (never held, already approved, or no longer open)."""
    inv = await repository.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    if inv.held_at is None or inv.approved_at is not None or inv.status not in repository.OPEN_STATUSES:
        raise Conflict(f"Invoice '{invoice_id}' is not held for review")
    inv.approved_at = inv.updated_at = now
    await session.flush()
    await notices.updated(session, [inv], now=now)
    return inv
