"""Credit rules: promotional grants, the wallet's balance and blocks, the ledger. Never commits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing import credits as core
from monk.credits import repository
from monk.credits.drawdown import as_block
from monk.credits.grants import Grant, add_grant
from monk.credits.schemas import RESERVED_METADATA, PromotionalGrant, days_until
from monk.credits.wallet import WalletTerms, shown_cents, terms
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import NotFound, ValidationFailed
from monk.kit.pagination import Page
from monk.models import Contract, CreditEntry
from monk.models.statuses import LedgerEntryType

CURRENCY = "USD"


async def contract_of(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    """The caller's contract ``contract_id``. Raises ``NotFound`` (404)."""
    found = await repository.contract(session, principal, contract_id)
    if found is None:
        raise NotFound(f"Contract '{contract_id}' not found")
    return found


def _amounts(body: PromotionalGrant, wallet: WalletTerms) -> tuple[Decimal, Decimal, Decimal]:
    """(units for the block, the grant's value in cents, its rate in cents per credit) of a grant."""
    if body.amount_cents is not None:
        cents = Decimal(body.amount_cents)
        return wallet.units(cents), cents, wallet.rate
    assert body.credit_rate_cents is not None and body.credit_amount is not None  # the body's validator
    rate, amount = Decimal(body.credit_rate_cents), body.credit_amount
    if not wallet.tracks_credits:
        if rate == 0:
            raise ValidationFailed("creditRateCents: free credits (rate 0) need a credit wallet "
                                   "(the contract's creditSettings.walletMode 'credits')")
        return rate * amount, rate * amount, rate
    return amount, rate * amount, rate


async def grant_promotional(session: AsyncSession, principal: Principal, contract_id: str, body: PromotionalGrant,
                            *, now: datetime) -> dict[str, Any]:
    """Grant promotional credits to the contract's wallet (reference §10.1), enabling it. Returns the
    grant's ledger entry with the balance right after it. A retry with the same ``externalId``
    returns the original entry and grants nothing. Raises ``NotFound`` (404), ``ValidationFailed``
    (400: ``expiresAt`` not in the future, free credits in a dollar wallet)."""
    contract = await contract_of(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    if (original := await replayed(session, contract, wallet, body.external_id)) is not None:
        return original
    if body.expires_at <= now:
        raise ValidationFailed("expiresAt must be in the future")
    units, cents, rate = _amounts(body, wallet)
    metadata = {k: v for k, v in (body.metadata or {}).items() if k not in RESERVED_METADATA}
    entry = await add_grant(session, contract, wallet, Grant(
        units=units, cents=cents, rate=rate, purchase_cents=None, starts_at=now, expires_at=body.expires_at,
        description=body.description, external_id=body.external_id, metadata=metadata), now=now)
    return await granted(session, entry, wallet)


def entry_out(entry: CreditEntry, wallet: WalletTerms) -> dict[str, Any]:
    """The API shape of a ledger entry (reference §10.3)."""
    return {
        "id": entry.id, "type": entry.type, "amountCents": shown_cents(entry.amount_cents),
        "creditAmount": float(entry.amount) if wallet.tracks_credits else None,
        "creditRateCents": float(entry.credit_rate_cents) if wallet.tracks_credits else None,
        "currency": CURRENCY, "description": entry.description,
        "sourceType": "invoice" if entry.invoice_id and entry.type != LedgerEntryType.GRANT else "contract",
        "invoiceId": entry.invoice_id,
        "grantEntryId": None if entry.type == LedgerEntryType.GRANT else entry.block_id,
        "expiresAt": iso_ms(entry.expires_at) if entry.expires_at else None,
        "isPromotional": entry.is_promotional, "createdAt": iso_ms(entry.created_at),
    }


async def replayed(session: AsyncSession, contract: Contract, wallet: WalletTerms,
                   external_id: str | None) -> dict[str, Any] | None:
    """The original answer to a retried wallet request: the entry the contract's ledger already holds
    under ``external_id`` (as ``granted`` shows it), or None (no id, or a first request)."""
    if external_id is None:
        return None
    existing = await repository.grant_by_external_id(session, contract.id, external_id)
    return await granted(session, existing, wallet) if existing is not None else None


async def granted(session: AsyncSession, entry: CreditEntry, wallet: WalletTerms) -> dict[str, Any]:
    """A grant's entry as the grant endpoints answer it (reference §10.1): the entry, what one unit
    cost (``purchaseRateCents``: 0 for promotional credits), the balance right after it."""
    after = await repository.balance_through(session, entry.contract_id, entry.id)
    block = await repository.block(session, entry.block_id)
    basis = block.cost_basis_cents if block is not None else Decimal(0)
    rate = int(basis) if basis == basis.to_integral() else float(basis)
    return {**entry_out(entry, wallet), "purchaseRateCents": rate,
            "balanceAfterCents": shown_cents(wallet.cents(after)),
            "creditBalanceAfter": float(after) if wallet.tracks_credits else None,
            "metadata": dict(entry.metadata_ or {})}


async def balance(session: AsyncSession, principal: Principal, contract_id: str, *, now: datetime) -> dict[str, Any]:
    """The wallet's balance and blocks (reference §10.2): zero and no blocks without a wallet.
    Raises ``NotFound`` (404)."""
    contract = await contract_of(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    rows = await repository.blocks(session, contract.id)
    blocks = [as_block(b) for b in rows]
    priority = core.priorities(blocks, now)
    credits = wallet.tracks_credits
    return {
        "balance": _balance(blocks, wallet, now),
        "blocks": [{
            "id": row.id, "status": core.status(b, now).value, "priority": priority[row.id],
            "daysUntilExpiry": days_until(row.expires_at, now),
            "originalCents": shown_cents(wallet.cents(row.original)),
            "originalCredits": float(row.original) if credits else None,
            "remainingCents": shown_cents(wallet.cents(row.remaining)),
            "remainingCredits": float(row.remaining) if credits else None,
            "creditRateCents": float(row.credit_rate_cents) if credits else None, "currency": CURRENCY,
            "description": row.description, "isPromotional": row.is_promotional,
            "expiresAt": iso_ms(row.expires_at) if row.expires_at else None, "createdAt": iso_ms(row.created_at),
        } for row, b in zip(rows, blocks, strict=True)],
    }


def _balance(blocks: list[core.Block], wallet: WalletTerms, now: datetime) -> dict[str, Any]:
    """The balance of a wallet's blocks at ``now`` (reference §10.2's ``balance``): what its active
    blocks hold."""
    active = [b for b in blocks if core.status(b, now) == core.BlockStatus.ACTIVE]
    units = sum((b.remaining for b in active), Decimal(0))
    return {"balanceCents": shown_cents(wallet.cents(units)),
            "creditBalance": float(units) if wallet.tracks_credits else None,
            "currency": CURRENCY, "blockCount": len(active), "asOf": iso_ms(now)}


async def wallets(session: AsyncSession, principal: Principal, page: Page, *,
                  now: datetime) -> tuple[list[dict[str, Any]], int]:
    """One page of the caller's contracts with a wallet, newest first, and how many there are: each
    ``{contractId, contractName, customerId, customerName, walletMode, balance}`` with ``balance`` as
    ``balance`` shows it (cents, credits, active blocks). Three queries whatever the page's size."""
    rows, total = await repository.wallets_page(session, principal, page)
    blocks = await repository.blocks_of(session, [c.id for c, _ in rows])
    out = []
    for contract, customer_name in rows:
        wallet = terms(contract.credit_settings)
        out.append({"contractId": contract.id, "contractName": contract.name, "customerId": contract.customer_id,
                    "customerName": customer_name, "walletMode": wallet.mode,
                    "balance": _balance([as_block(b) for b in blocks[contract.id]], wallet, now)})
    return out, total


async def ledger(session: AsyncSession, principal: Principal, contract_id: str, page: Page) -> dict[str, Any]:
    """The wallet's ledger, newest first (reference §10.3): ``{totalCount, entries}``; empty without a
    wallet. Raises ``NotFound`` (404)."""
    contract = await contract_of(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    rows, total = await repository.entries_page(session, contract.id, page)
    return {"totalCount": total, "entries": [entry_out(e, wallet) for e in rows]}
