"""Drawing an open invoice's metered charges from its contract's wallet (reference §10.4, concepts
§12): called whenever the invoice is rebuilt, under the contract's lock, in the rebuild's transaction.

The invoice's draws are brought to its metered charges (``billing.credits.settle``): a rise draws
from the active blocks in priority order, as far as they reach; a fall gives credits back with
``reversal`` entries, newest draw first, and what returns to a block that has expired meanwhile is
written off at once (``expiration``). Credits pay for metered lines only (usage and late-usage
adjustments), never for fixed or one-time fees. A block pays only for usage whose service period
overlaps its validity. Finalization freezes an invoice's draws (a finalized invoice is never
rebuilt); a cancelled draft gives everything back (``release``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing import credits as core
from monk.credits import notices, repository
from monk.credits.wallet import WalletTerms, shown_cents
from monk.kit.ids import new_id
from monk.models import Contract, CreditBlock, CreditDraw, CreditEntry, Invoice
from monk.models.statuses import LedgerEntryType

_ZERO = Decimal(0)


def as_block(block: CreditBlock) -> core.Block:
    """A stored block as the pure core's ``Block`` (amounts in the wallet's unit)."""
    return core.Block(id=block.id, original=block.original, remaining=block.remaining,
                      is_promotional=block.is_promotional, cost_basis=block.cost_basis_cents,
                      created_at=block.created_at, starts_at=block.starts_at, expires_at=block.expires_at)


def _active_units(blocks: Iterable[CreditBlock], at: datetime) -> Decimal:
    """The wallet's balance at ``at`` in its unit: what the active blocks hold."""
    return sum((b.remaining for b in map(as_block, blocks) if core.status(b, at) == core.BlockStatus.ACTIVE), _ZERO)


def _drawn_newest_first(draws: list[CreditDraw]) -> list[core.Draw]:
    """The units the invoice holds drawn per block, newest draw first."""
    return [core.Draw(d.block_id, d.units) for d in sorted(draws, key=lambda d: d.seq, reverse=True) if d.units > 0]


def _record(draws: dict[str, CreditDraw], inv: Invoice, settlement: core.Settlement) -> None:
    """Fold a settlement's draws and give-backs into the invoice's ``credit_draws`` rows."""
    seq = max((d.seq for d in draws.values()), default=0)
    for draw in settlement.draws:
        seq += 1
        row = draws.get(draw.block_id)
        if row is None:
            row = draws[draw.block_id] = CreditDraw(invoice_id=inv.id, block_id=draw.block_id,
                                                    contract_id=inv.contract_id, units=_ZERO, seq=seq)
        row.units += draw.amount
        row.seq = seq
    for back in settlement.give_backs:
        draws[back.block_id].units -= back.amount


async def settle_invoice(session: AsyncSession, contract: Contract, inv: Invoice, blocks: list[CreditBlock],
                         wallet: WalletTerms, metered_cents: int, *, period: tuple[datetime, datetime] | None,
                         now: datetime) -> int:
    """Bring ``inv``'s draws to ``metered_cents`` (≥ 0; its metered charges) and return the credits it
    now has applied, in cents (never more than ``metered_cents``). ``blocks`` are the contract's
    wallet (``repository.blocks``), read after the caller took the contract's lock, which it holds
    (``repository.lock_wallet``; every rebuild runs under it)."""
    rows = {b.id: b for b in blocks}
    draws = {d.block_id: d for d in await repository.draws_of(session, inv.id)}
    drawn = _drawn_newest_first(list(draws.values()))
    before = _active_units(rows.values(), now)
    target = wallet.units(Decimal(max(metered_cents, 0)))
    settlement = core.settle([as_block(b) for b in rows.values()], drawn, target, at=now, period=period)
    moves = ([(d, LedgerEntryType.USAGE, -1, inv.id) for d in settlement.draws]
             + [(d, LedgerEntryType.REVERSAL, +1, inv.id) for d in settlement.give_backs]
             + [(d, LedgerEntryType.EXPIRATION, -1, None) for d in settlement.expirations])
    for draw, kind, sign, invoice_id in moves:
        block = rows[draw.block_id]
        block.remaining += sign * draw.amount
        block.updated_at = now
        session.add(CreditEntry(
            id=new_id(), org_id=block.org_id, mode=block.mode, contract_id=block.contract_id, type=kind,
            block_id=block.id, amount=sign * draw.amount, amount_cents=sign * wallet.cents(draw.amount),
            credit_rate_cents=wallet.rate, is_promotional=block.is_promotional, expires_at=block.expires_at,
            invoice_id=invoice_id, description=None, metadata_={}, created_at=now))
    if moves:
        _record(draws, inv, settlement)
        session.add_all(draws.values())
        await session.flush()
    if settlement.draws:  # credit events follow draws only (not give-backs or expiry)
        await notices.announce(session, contract, wallet, before=before, after=_active_units(rows.values(), now),
                               now=now)
    applied = sum((d.amount for d in drawn), _ZERO) - sum((d.amount for d in settlement.give_backs), _ZERO) \
        + sum((d.amount for d in settlement.draws), _ZERO)
    return min(max(metered_cents, 0), shown_cents(wallet.cents(applied)))


async def is_dry(session: AsyncSession, contract_id: str, *, now: datetime) -> bool:
    """Whether the contract has a wallet and nothing left in it (no active block holds credits)."""
    rows = await repository.blocks(session, contract_id)
    return bool(rows) and _active_units(rows, now) <= 0


async def release(session: AsyncSession, contract: Contract, invoices: list[Invoice], wallet: WalletTerms, *,
                  now: datetime) -> None:
    """Give back everything the (cancelled) ``invoices`` of ``contract`` drew (its lock held)."""
    blocks = await repository.blocks(session, contract.id) if invoices else []
    for inv in invoices if blocks else []:
        await settle_invoice(session, contract, inv, blocks, wallet, 0, period=None, now=now)


async def expire_due(session: AsyncSession, *, now: datetime, limit: int = 200,
                     contract_ids: list[str] | None = None) -> int:
    """Write off what is left of the blocks whose ``expires_at`` has come (one ``expiration`` entry
    each, valued at the block's rate: breakage for paid credits, none for promotional ones), at most
    ``limit`` (of ``contract_ids`` when given); returns how many blocks expired."""
    contracts = sorted({b.contract_id for b in await repository.expiring_blocks(session, now, limit,
                                                                                 contract_ids=contract_ids)})
    for contract_id in contracts:
        await repository.lock_wallet(session, contract_id)
    # Read again under the locks: a concurrent pass may have written these blocks off meanwhile.
    blocks = await repository.expiring_blocks(session, now, limit, contract_ids=contracts) if contracts else []
    for block in blocks:
        if block.remaining > 0:
            session.add(CreditEntry(
                id=new_id(), org_id=block.org_id, mode=block.mode, contract_id=block.contract_id,
                type=LedgerEntryType.EXPIRATION, block_id=block.id, amount=-block.remaining,
                amount_cents=-block.remaining * block.credit_rate_cents, credit_rate_cents=block.credit_rate_cents,
                is_promotional=block.is_promotional, expires_at=block.expires_at, invoice_id=None, description=None,
                metadata_={}, created_at=now))
        block.remaining = _ZERO
        block.expired_at = now
        block.updated_at = now
    await session.flush()
    return len(blocks)
