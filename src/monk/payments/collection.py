"""What finalization owes collection (concepts §18), in the finalizing transaction (never commits): an
invoice with an amount due, of an organization whose mode has a Stripe connection, gets its signed
``paymentLink``; the customer of a contract that is not on auto-pay is emailed the invoice (an auto-pay
customer gets the receipt, or the "payment failed" email, from the run instead)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from monk.email import service as emails
from monk.gateway import repository as connections
from monk.invoices import repository as invoices
from monk.payments import repository
from monk.payments.links import PaymentLinks


async def finalized(session: AsyncSession, invoice_ids: list[str], now: datetime, *,
                    links: PaymentLinks | None) -> None:
    """Give the just-finalized invoices ``invoice_ids`` their payment links (``links`` None: this server
    has no ``MONK_SECRET_KEY``, so no links) and email each invoice of a contract that is not on
    auto-pay (invoice-and-collect, or auto-pay turned off) to its customer's ``accounts_payable``
    contacts. Call before their ``invoice.updated`` is written, so the webhook carries the link."""
    if not invoice_ids:
        return
    connected: dict[tuple[str, str], bool] = {}
    for inv in await invoices.by_ids(session, invoice_ids):
        if inv.finalized_at is None:
            continue
        tenant = (inv.org_id, inv.mode)
        if tenant not in connected:
            connected[tenant] = await connections.connection(session, *tenant) is not None
        if links is not None and inv.total_cents > 0 and connected[tenant]:
            inv.payment_link = links.url(inv.id, inv.finalized_at)
        if not (await repository.contract_of(session, inv.contract_id)).auto_pay:
            await session.flush()
            await emails.queue_invoice_email(session, inv, payment_link=inv.payment_link, now=now)
    await session.flush()
