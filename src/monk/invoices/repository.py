"""All invoice and usage-record queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.models import Contract, Invoice, InvoiceLine, UsageRecord

OPEN_STATUSES = ("Drafted", "In Progress")


async def get(session: AsyncSession, who: Principal, invoice_id: str) -> Invoice | None:
    """The caller's invoice ``invoice_id`` or None."""
    return (await session.execute(select(Invoice).where(
        Invoice.id == invoice_id, Invoice.org_id == who.org_id, Invoice.mode == who.mode,
    ))).scalar_one_or_none()


async def of_contract(session: AsyncSession, contract_id: str) -> list[Invoice]:
    """All invoices of a contract in slot order."""
    return list((await session.execute(
        select(Invoice).where(Invoice.contract_id == contract_id).order_by(Invoice.slot)
    )).scalars().all())


async def open_carrying_usage(session: AsyncSession, contract_id: str, period_start: date) -> Invoice | None:
    """The open (not finalized, not cancelled) invoice billing the usage of the period at ``period_start``."""
    return (await session.execute(select(Invoice).where(
        Invoice.contract_id == contract_id, Invoice.usage_start == period_start,
        Invoice.status.in_(OPEN_STATUSES),
    ))).scalar_one_or_none()


async def lines_of(session: AsyncSession, invoice_ids: list[str]) -> dict[str, list[InvoiceLine]]:
    """Line items per invoice id, in position order."""
    out: dict[str, list[InvoiceLine]] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return out
    rows = (await session.execute(
        select(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)).order_by(InvoiceLine.position)
    )).scalars().all()
    for line in rows:
        out[line.invoice_id].append(line)
    return out


async def replace_lines(session: AsyncSession, invoice_id: str, rows: list[dict[str, Any]]) -> None:
    """Delete an invoice's lines and insert ``rows`` instead."""
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
    if rows:
        await session.execute(InvoiceLine.__table__.insert(), rows)


async def usage_values(
    session: AsyncSession, contract_id: str, period_start: date
) -> list[tuple[str, str, str | None]]:
    """``(meter_id, dimension_key, value)`` of every usage record of a contract's period."""
    rows = await session.execute(select(UsageRecord.meter_id, UsageRecord.dimension_key, UsageRecord.value).where(
        UsageRecord.contract_id == contract_id, UsageRecord.period_start == period_start,
    ))
    return [(m, d, v) for m, d, v in rows.all()]


async def list_page(
    session: AsyncSession, who: Principal, pg: Page, *, customer_id: str | None, contract_id: str | None,
    status: str | None, created_after: Any, created_before: Any,
) -> tuple[list[Invoice], int]:
    """One page of invoices ordered by invoice date, and the total matching the filters."""
    cond: list[Any] = [Invoice.org_id == who.org_id, Invoice.mode == who.mode]
    if customer_id is not None:
        cond.append(Invoice.customer_id == customer_id)
    if contract_id is not None:
        cond.append(Invoice.contract_id == contract_id)
    if status is not None:
        cond.append(Invoice.status == status)
    if created_after is not None:
        cond.append(Invoice.created_at >= created_after)
    if created_before is not None:
        cond.append(Invoice.created_at < created_before)
    total = (await session.execute(select(func.count()).select_from(Invoice).where(*cond))).scalar_one()
    rows = (await session.execute(select(Invoice).where(*cond).order_by(
        Invoice.invoice_date, Invoice.contract_id, Invoice.slot).limit(pg.limit).offset(pg.offset))).scalars().all()
    return list(rows), total


async def upcoming(session: AsyncSession, who: Principal, customer_id: str, today: date) -> Invoice | None:
    """The next invoice to be issued for the customer's active contracts: the earliest open one dated after today."""
    return (await session.execute(
        select(Invoice).join(Contract, Contract.id == Invoice.contract_id).where(
            Invoice.org_id == who.org_id, Invoice.mode == who.mode, Invoice.customer_id == customer_id,
            Contract.is_active.is_(True), Invoice.status.in_(OPEN_STATUSES), Invoice.invoice_date > today,
        ).order_by(Invoice.invoice_date, Invoice.slot).limit(1)
    )).scalar_one_or_none()
