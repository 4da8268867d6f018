"""All credit-budget queries: a contract's budgets, the usage records their properties match, the
invoice of the current period and its usage lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import column_in, json_text
from monk.models import CreditBlock, CreditBudget, Event, Invoice, InvoiceLine, Meter, UsageRecord
from monk.models.statuses import InvoiceKind, InvoiceStatus


async def of_contract(session: AsyncSession, contract_id: str) -> list[CreditBudget]:
    """The contract's budgets in index order, read afresh (one indexed query; none: ``[]``)."""
    return list((await session.execute(select(CreditBudget).where(CreditBudget.contract_id == contract_id)
                                        .order_by(CreditBudget.position)
                                        .execution_options(populate_existing=True))).scalars().all())


async def of_contracts(session: AsyncSession, contract_ids: list[str]) -> dict[str, list[CreditBudget]]:
    """The budgets of ``contract_ids`` by contract, each in index order (one query)."""
    out: dict[str, list[CreditBudget]] = {}
    if contract_ids:
        rows = (await session.execute(select(CreditBudget).where(column_in(session, CreditBudget.contract_id,
                                                                           contract_ids))
                                      .order_by(CreditBudget.contract_id, CreditBudget.position)
                                      .execution_options(populate_existing=True))).scalars().all()
        for row in rows:
            out.setdefault(row.contract_id, []).append(row)
    return out


async def meter(session: AsyncSession, principal: Principal, meter_id: str) -> Meter | None:
    """The caller's meter ``meter_id`` (archived included), or None."""
    return (await session.execute(select(Meter).where(
        Meter.id == meter_id, Meter.org_id == principal.org_id, Meter.mode == principal.mode))).scalar_one_or_none()


async def meters_by_id(session: AsyncSession, ids: set[str]) -> dict[str, Meter]:
    """Meters by id (archived ones included)."""
    if not ids:
        return {}
    return {m.id: m for m in (await session.execute(select(Meter).where(Meter.id.in_(ids)))).scalars().all()}


async def shift_down(session: AsyncSession, contract_id: str, after: int) -> None:
    """Move the contract's budgets past index ``after`` down one index (after a delete)."""
    await session.execute(update(CreditBudget).where(CreditBudget.contract_id == contract_id,
                                                     CreditBudget.position > after)
                          .values(position=CreditBudget.position - 1))


async def resettle(session: AsyncSession, contract_id: str) -> None:
    """Have the worker draw the contract's open invoices again (its budgets changed): its credit
    blocks are marked ``settle_pending`` (``invoicing.service.settle_credits``); no blocks, nothing."""
    await session.execute(update(CreditBlock).where(CreditBlock.contract_id == contract_id)
                          .values(settle_pending=True))


async def matching_records(session: AsyncSession, contract_id: str, period_start: date, key: str,
                           values: Sequence[str]) -> list[tuple[Any, ...]]:
    """The contract's usage records of the period starting ``period_start`` whose event's property
    ``key`` reads (as text, ``kit.db.json_text``) as one of ``values``: ``(record id, meter id, phase
    id, dimension key, value, property text)`` each."""
    prop = json_text(session, Event.properties, key)
    rows = await session.execute(
        select(UsageRecord.id, UsageRecord.meter_id, UsageRecord.phase_id, UsageRecord.dimension_key,
               UsageRecord.value, prop)
        .join(Event, Event.id == UsageRecord.event_id)
        .where(UsageRecord.contract_id == contract_id, UsageRecord.period_start == period_start,
               column_in(session, prop, list(values))))
    return [tuple(r) for r in rows.all()]


async def invoice_at(session: AsyncSession, contract_id: str, day: date) -> Invoice | None:
    """The contract's (non-cancelled, regular) invoice whose usage period contains ``day``, or None."""
    return (await session.execute(select(Invoice).where(
        Invoice.contract_id == contract_id, Invoice.kind == InvoiceKind.REGULAR,
        Invoice.status != InvoiceStatus.CANCELLED, Invoice.usage_start <= day, Invoice.usage_end > day,
    ).limit(1))).scalar_one_or_none()


async def usage_lines(session: AsyncSession, invoice_id: str) -> list[InvoiceLine]:
    """The invoice's metered usage lines (kind ``usage``) as stored by its last rebuild."""
    return list((await session.execute(select(InvoiceLine).where(
        InvoiceLine.invoice_id == invoice_id, InvoiceLine.kind == "usage", InvoiceLine.is_metered.is_(True),
    ).order_by(InvoiceLine.position))).scalars().all())


async def metered_cents(session: AsyncSession, invoice_id: str) -> int:
    """The invoice's metered charges in cents (what credits may pay), as stored."""
    amounts = (await session.execute(select(InvoiceLine.amount_cents).where(
        InvoiceLine.invoice_id == invoice_id, InvoiceLine.is_metered.is_(True)))).scalars().all()
    return sum(amounts, 0)
