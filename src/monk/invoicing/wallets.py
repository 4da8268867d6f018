"""The credits a new contract starts with, billed on its first invoice (``credits.grants``).
Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from monk.credits.grants import grant_at_creation
from monk.credits.wallet import terms
from monk.invoices import repository as invoices
from monk.invoicing.context import ContractBilling
from monk.invoicing.service import next_invoice, rebuild


async def start_wallet(session: AsyncSession, billing: ContractBilling, *, now: datetime) -> None:
    """Grant a new contract's paid credits (``creditGrantCents``) and bonus (``creditSettings``),
    billing the paid ones on its first invoice, which is rebuilt to show the "Prepaid credits" line."""
    contract = billing.contract
    first = await invoices.earliest_open(session, contract.id)
    if contract.credit_grant_cents and first is None:
        first = await next_invoice(session, billing, now=now)
    entries = await grant_at_creation(session, contract, terms(contract.credit_settings),
                                      first.id if first is not None else "", now=now)
    if entries and first is not None:
        await rebuild(session, billing, first, now=now)
