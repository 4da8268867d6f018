"""All credit queries: the contract's wallet (blocks), the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import column_in
from monk.kit.pagination import Page
from monk.models import Contract, CreditBlock, CreditDraw, CreditEntry, Customer
from monk.models.statuses import LedgerEntryType


async def contract(session: AsyncSession, principal: Principal, contract_id: str) -> Contract | None:
    """The caller's contract ``contract_id``, or None."""
    return (await session.execute(select(Contract).where(
        Contract.id == contract_id, Contract.org_id == principal.org_id, Contract.mode == principal.mode,
    ))).scalar_one_or_none()


async def contract_of(session: AsyncSession, contract_id: str) -> Contract | None:
    """The contract ``contract_id`` (any organization: callers hold an id read from a scoped row)."""
    return await session.get(Contract, contract_id)


async def lock_wallet(session: AsyncSession, contract_id: str) -> None:
    """Take the contract's row lock for this transaction: every change of a wallet runs under it, so
    grants, draws and expiries of one contract happen one after another (PostgreSQL; SQLite
    writers are serialized anyway)."""
    # FOR NO KEY UPDATE, the contract lock every rebuild takes (``invoicing.repository.lock``): it
    # excludes them, yet lets foreign-key checks (FOR KEY SHARE) of rows referencing the contract pass,
    # which a FOR UPDATE would queue behind it (a deadlock with a rebuild inserting an invoice).
    await session.execute(select(Contract.id).where(Contract.id == contract_id).with_for_update(key_share=True))


async def blocks(session: AsyncSession, contract_id: str) -> list[CreditBlock]:
    """Every block of the contract's wallet, oldest first, read afresh."""
    return list((await session.execute(select(CreditBlock).where(CreditBlock.contract_id == contract_id)
                                        .order_by(CreditBlock.created_at, CreditBlock.id)
                                        .execution_options(populate_existing=True))).scalars().all())


async def block(session: AsyncSession, block_id: str) -> CreditBlock | None:
    """The block ``block_id``, read afresh (any organization: callers check it is their contract's)."""
    return (await session.execute(select(CreditBlock).where(CreditBlock.id == block_id)
                                  .execution_options(populate_existing=True))).scalar_one_or_none()


async def drawn_from(session: AsyncSession, block_id: str) -> Decimal:
    """What invoices hold drawn from block ``block_id`` (units): its usage entries less its give-backs."""
    amounts = (await session.execute(select(CreditEntry.amount).where(
        CreditEntry.block_id == block_id,
        CreditEntry.type.in_([LedgerEntryType.USAGE, LedgerEntryType.REVERSAL])))).scalars().all()
    return -sum(amounts, Decimal(0))  # in Python: SQLite would sum the exact text as floats


async def rebill(session: AsyncSession, invoice_ids: list[str], target_id: str) -> None:
    """Move the purchases billed on ``invoice_ids`` (cancelled) to invoice ``target_id``."""
    if invoice_ids:
        await session.execute(update(CreditBlock).where(column_in(session, CreditBlock.invoice_id, invoice_ids))
                              .values(invoice_id=target_id))


async def grant_by_external_id(session: AsyncSession, contract_id: str, external_id: str) -> CreditEntry | None:
    """The grant of the contract made with ``external_id``, or None."""
    return (await session.execute(select(CreditEntry).where(
        CreditEntry.contract_id == contract_id, CreditEntry.external_id == external_id))).scalar_one_or_none()


async def balance_through(session: AsyncSession, contract_id: str, entry_id: str) -> Decimal:
    """The wallet's balance (units) right after entry ``entry_id``: the sum of the ledger up to it
    (ids are time-ordered)."""
    amounts = (await session.execute(select(CreditEntry.amount).where(
        CreditEntry.contract_id == contract_id, CreditEntry.id <= entry_id))).scalars().all()
    return sum(amounts, Decimal(0))  # in Python: SQLite would sum the exact text as floats


async def entries_page(session: AsyncSession, contract_id: str, page: Page) -> tuple[list[CreditEntry], int]:
    """One page of the contract's ledger, newest first, and the number of entries."""
    cond = CreditEntry.contract_id == contract_id
    total = (await session.execute(select(func.count()).select_from(CreditEntry).where(cond))).scalar_one()
    rows = (await session.execute(select(CreditEntry).where(cond).order_by(
        CreditEntry.created_at.desc(), CreditEntry.id.desc()).limit(page.limit).offset(page.offset))).scalars().all()
    return list(rows), total


async def has_wallet(session: AsyncSession, contract_id: str) -> bool:
    """Whether the contract has any block (its wallet was enabled by a grant)."""
    return (await session.execute(select(CreditBlock.id).where(CreditBlock.contract_id == contract_id)
                                  .limit(1))).first() is not None


async def draws_of(session: AsyncSession, invoice_id: str) -> list[CreditDraw]:
    """What the invoice holds drawn, one row per block it drew from."""
    return list((await session.execute(select(CreditDraw).where(CreditDraw.invoice_id == invoice_id)
                                        .execution_options(populate_existing=True))).scalars().all())


async def invoice_entries(session: AsyncSession, invoice_id: str) -> list[CreditEntry]:
    """The draws and give-backs of an invoice, oldest first."""
    return list((await session.execute(select(CreditEntry).where(CreditEntry.invoice_id == invoice_id)
                                        .order_by(CreditEntry.created_at, CreditEntry.id))).scalars().all())


async def blocks_by_ids(session: AsyncSession, block_ids: list[str]) -> list[CreditBlock]:
    """The blocks with these ids (any order; unknown ids are left out)."""
    if not block_ids:
        return []
    return list((await session.execute(select(CreditBlock).where(column_in(session, CreditBlock.id, block_ids))))
                .scalars().all())


async def contracts_to_settle(session: AsyncSession, limit: int) -> list[str]:
    """Contracts with a block granted since their open invoices were last drawn (``settle_pending``)."""
    return list((await session.execute(select(CreditBlock.contract_id).where(CreditBlock.settle_pending.is_(True))
                                        .distinct().limit(limit))).scalars().all())


async def settled(session: AsyncSession, contract_id: str) -> None:
    """The contract's open invoices were drawn from its new blocks."""
    await session.execute(update(CreditBlock).where(CreditBlock.contract_id == contract_id,
                                                    CreditBlock.settle_pending.is_(True)).values(settle_pending=False))


async def expiring_blocks(session: AsyncSession, now: datetime, limit: int, *,
                          contract_ids: list[str] | None = None) -> list[CreditBlock]:
    """Blocks whose ``expires_at`` has come and whose remainder is not written off yet (of
    ``contract_ids`` when given), read afresh."""
    query = select(CreditBlock).where(CreditBlock.expires_at <= now, CreditBlock.expired_at.is_(None))
    if contract_ids is not None:
        query = query.where(column_in(session, CreditBlock.contract_id, contract_ids))
    return list((await session.execute(query.order_by(CreditBlock.expires_at).limit(limit)
                                        .execution_options(populate_existing=True))).scalars().all())


async def expiring_contracts(session: AsyncSession, now: datetime, *, limit: int) -> list[str]:
    """Contracts with a block to write off (``expiring_blocks``)."""
    return list((await session.execute(select(CreditBlock.contract_id).where(
        CreditBlock.expires_at <= now, CreditBlock.expired_at.is_(None)).distinct().limit(limit))).scalars().all())


async def wallets_page(session: AsyncSession, principal: Principal,
                       page: Page) -> tuple[list[tuple[Contract, str]], int]:
    """One page of the caller's contracts with a wallet (at least one block), newest contract first, each
    with its customer's name, and how many there are (two indexed queries)."""
    has_block = select(CreditBlock.id).where(CreditBlock.contract_id == Contract.id).exists()
    cond = (Contract.org_id == principal.org_id, Contract.mode == principal.mode, has_block)
    total = (await session.execute(select(func.count()).select_from(Contract).where(*cond))).scalar_one()
    rows = (await session.execute(select(Contract, Customer.name).join(Customer, Customer.id == Contract.customer_id)
                                  .where(*cond).order_by(Contract.created_at.desc(), Contract.id.desc())
                                  .limit(page.limit).offset(page.offset))).all()
    return [(contract, str(name)) for contract, name in rows], total


async def blocks_of(session: AsyncSession, contract_ids: list[str]) -> dict[str, list[CreditBlock]]:
    """The blocks of ``contract_ids`` by contract, each oldest first (one query)."""
    out: dict[str, list[CreditBlock]] = {cid: [] for cid in contract_ids}
    if contract_ids:
        rows = (await session.execute(select(CreditBlock).where(column_in(session, CreditBlock.contract_id,
                                                                          contract_ids))
                                      .order_by(CreditBlock.created_at, CreditBlock.id))).scalars().all()
        for row in rows:
            out[row.contract_id].append(row)
    return out
