"""Writing grants: one block and its ``grant`` ledger entry per grant, promotional or paid; the paid
credits of a contract's ``creditGrantCents`` (and its bonus) at creation; the "Prepaid credits" lines
that bill paid blocks. Never commits.

Paid credits (decided; the reference keeps purchases in the dashboard): a paid block is worth its
value in the wallet's unit and costs ``purchase_cents`` (its ``cost_basis_cents`` per unit is
``purchase_cents / units``); it is billed once, as a "Prepaid credits" line of the invoice it names
(``invoice_id``): the contract's first invoice for ``creditGrantCents``, the next open invoice for a
top-up. That line is a fixed charge: credits never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.assembly import Expected
from monk.billing.invoice import Line
from monk.billing.money import CONTEXT, EXACT, format_dollars, format_quantity, round_money
from monk.credits import repository
from monk.credits.wallet import UNIT_PLACES, WalletTerms
from monk.kit.ids import new_id
from monk.kit.time import midnight
from monk.models import Contract, CreditBlock, CreditEntry
from monk.models.statuses import LedgerEntryType

PURCHASE_LINE = "Prepaid credits"
PAID_DEFAULT_VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class Grant:
    """What one grant adds: ``units`` in the wallet's unit worth ``cents``; ``rate`` the entry's cents
    per unit; ``purchase_cents`` what it costs (None: promotional); valid ``[starts_at, expires_at)``;
    ``invoice_id`` the invoice that bills a paid grant."""

    units: Decimal
    cents: Decimal
    rate: Decimal
    purchase_cents: Decimal | None
    starts_at: datetime
    expires_at: datetime | None
    description: str | None = None
    external_id: str | None = None
    metadata: dict[str, Any] | None = None
    invoice_id: str | None = None
    settle_pending: bool = True


async def add_grant(session: AsyncSession, contract: Contract, wallet: WalletTerms, grant: Grant, *,
                    now: datetime) -> CreditEntry:
    """Write ``grant``'s block and ``grant`` entry under the wallet's lock (enabling the wallet).
    With an ``external_id`` already used on the contract, the original entry is returned and nothing
    is written (a request racing on the same id included)."""
    if grant.external_id is not None:
        existing = await repository.grant_by_external_id(session, contract.id, grant.external_id)
        if existing is not None:
            return existing
    await repository.lock_wallet(session, contract.id)
    promotional = grant.purchase_cents is None
    basis = Decimal(0) if grant.purchase_cents is None or not grant.units \
        else CONTEXT.divide(grant.purchase_cents, grant.units).quantize(UNIT_PLACES, context=CONTEXT)
    entry_id = new_id()
    block = CreditBlock(id=entry_id, org_id=contract.org_id, mode=contract.mode, contract_id=contract.id,
                        original=grant.units, remaining=grant.units, credit_rate_cents=wallet.rate,
                        cost_basis_cents=basis, is_promotional=promotional, starts_at=grant.starts_at,
                        expires_at=grant.expires_at, expired_at=None, settle_pending=grant.settle_pending,
                        description=grant.description, purchase_cents=grant.purchase_cents,
                        invoice_id=grant.invoice_id, created_at=now, updated_at=now)
    entry = CreditEntry(id=entry_id, org_id=contract.org_id, mode=contract.mode, contract_id=contract.id,
                        type=LedgerEntryType.GRANT, block_id=entry_id, amount=grant.units, amount_cents=grant.cents,
                        credit_rate_cents=grant.rate, is_promotional=promotional, expires_at=grant.expires_at,
                        invoice_id=grant.invoice_id, external_id=grant.external_id, description=grant.description,
                        metadata_=grant.metadata or {}, created_at=now)
    try:
        async with session.begin_nested():
            session.add_all([block, entry])
            await session.flush()
    except IntegrityError:  # the same externalId granted by a request at the same moment
        existing = await repository.grant_by_external_id(session, contract.id, grant.external_id or "")
        if existing is None:
            raise
        return existing
    return entry


def paid_expiry(contract: Contract, *, now: datetime) -> datetime:
    """Default expiry of paid credits: the contract's end, or one year from ``now`` for a rolling one."""
    return midnight(contract.end_date) if contract.end_date is not None else now + PAID_DEFAULT_VALIDITY


async def grant_at_creation(session: AsyncSession, contract: Contract, wallet: WalletTerms, invoice_id: str, *,
                            now: datetime) -> list[CreditEntry]:
    """The credits a new contract starts with (reference §9.1, concepts §12): ``creditGrantCents`` of
    paid credits billed on ``invoice_id`` (at ``creditSettings.purchasePriceCents`` when set) and the
    bonus (``bonusCredits``/``bonusCents``, promotional, valued at the paid rate), both valid from the
    contract's start until ``creditSettings.expiresAt`` (default ``paid_expiry``). Nothing without them."""
    settings = contract.credit_settings or {}
    expires = settings.get("expires_at")
    expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) else paid_expiry(contract, now=now)
    starts_at = midnight(contract.start_date)
    out: list[CreditEntry] = []
    if contract.credit_grant_cents:
        value = Decimal(contract.credit_grant_cents)
        price = settings.get("purchase_price_cents")
        out.append(await add_grant(session, contract, wallet, Grant(
            units=wallet.units(value), cents=value, rate=wallet.rate,
            purchase_cents=Decimal(price) if isinstance(price, int) else value, starts_at=starts_at,
            expires_at=expires_at, description="Prepaid credits", invoice_id=invoice_id, settle_pending=False),
            now=now))
    bonus = settings.get("bonus_credits") if wallet.tracks_credits else settings.get("bonus_cents")
    if bonus is not None:
        units = Decimal(str(bonus))
        out.append(await add_grant(session, contract, wallet, Grant(
            units=units, cents=wallet.cents(units), rate=wallet.rate, purchase_cents=None, starts_at=starts_at,
            expires_at=expires_at, description="Bonus credits", settle_pending=False), now=now))
    return out


def purchase_lines(blocks: list[CreditBlock], wallet: WalletTerms) -> list[Expected]:
    """The "Prepaid credits" lines billing paid ``blocks`` (fixed: credits never pay them): quantity
    in credits (1 in a dollar wallet), the purchase price as the amount."""
    out = []
    for block in sorted(blocks, key=lambda b: (b.created_at, b.id)):
        dollars = round_money(EXACT.divide(block.purchase_cents or Decimal(0), Decimal(100)))
        quantity = block.original if wallet.tracks_credits else Decimal(1)
        unit_price = CONTEXT.divide(dollars, quantity).quantize(UNIT_PLACES, context=CONTEXT).normalize(CONTEXT)
        value = round_money(EXACT.divide(wallet.cents(block.original), Decimal(100)))
        what = f"{format_quantity(quantity)} credits" if wallet.tracks_credits \
            else f"{format_dollars(value)} of credits"
        out.append(Expected(identity=f"credits:{block.id}", kind="credits", meter_id=None, line=Line(
            name=PURCHASE_LINE, quantity=quantity, unit_price=unit_price, amount=dollars, is_metered=False,
            description=f"{what} for {format_dollars(dollars)}")))
    return out
