"""Paid top-ups of a contract's wallet, billed on its next invoice ("Prepaid credits";
``credits.grants``). Never commits."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.bounds import MAX_AMOUNT_CENTS
from monk.contracts.service import get_for_update
from monk.credits.grants import Grant, add_grant, paid_expiry
from monk.credits.schemas import CreditPurchase
from monk.credits.service import granted, replayed
from monk.credits.wallet import terms
from monk.invoicing.service import load_billing, next_invoice, rebuild
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, ValidationFailed


async def purchase(session: AsyncSession, principal: Principal, contract_id: str, body: CreditPurchase, *,
                   now: datetime) -> dict[str, Any]:
    """Add paid credits to the contract's wallet (an extension: the reference keeps purchases in the
    dashboard), billed at ``priceCents`` (default their value, rounded to the cent) on the
    contract's next invoice. Returns the grant's ledger entry as the promotional grant answers it,
    with ``invoiceId`` the billing invoice and ``purchaseRateCents`` what one unit cost. A retry with
    the same ``externalId`` returns the original entry. Raises ``NotFound`` (404), ``Conflict``
    (409: the contract has ended), ``ValidationFailed`` (400: ``creditAmount`` on a dollar wallet,
    a value of 10**11 cents or more, ``expiresAt`` not in the future)."""
    contract = await get_for_update(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    if (original := await replayed(session, contract, wallet, body.external_id)) is not None:
        return original
    if contract.ended_at is not None and contract.ended_at <= now:
        raise Conflict(f"Contract '{contract.id}' has ended; it takes no more credits")
    try:
        units, cents = wallet.amount(body.amount_cents, body.credit_amount)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    if cents >= MAX_AMOUNT_CENTS:
        raise ValidationFailed(f"the credits' value must be below {MAX_AMOUNT_CENTS} cents")
    expires_at = body.expires_at or paid_expiry(contract, now=now)
    if expires_at <= now:
        raise ValidationFailed("expiresAt must be in the future")
    price = Decimal(body.price_cents) if body.price_cents is not None else cents.quantize(
        Decimal(1), rounding=ROUND_HALF_UP)
    billing = await load_billing(session, contract)
    target = await next_invoice(session, billing, now=now)
    entry = await add_grant(session, contract, wallet, Grant(
        units=units, cents=cents, rate=wallet.rate, purchase_cents=price, starts_at=now, expires_at=expires_at,
        description=body.description or "Prepaid credits", external_id=body.external_id, invoice_id=target.id),
        now=now)
    await rebuild(session, billing, target, now=now)
    return await granted(session, entry, wallet)
