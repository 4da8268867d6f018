"""All rate-card queries; every one is scoped to the caller's organization and mode."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.invoices.repository import OPEN_STATUSES
from monk.kit.auth import Principal
from monk.models import ContractPhase, Invoice, PlanPricing, Pricing, RateCard


async def get(session: AsyncSession, who: Principal, meter_id: str) -> RateCard | None:
    """The rate card of meter ``meter_id`` in the caller's organization and mode, or None."""
    return (await session.execute(select(RateCard).where(
        RateCard.meter_id == meter_id, RateCard.org_id == who.org_id, RateCard.mode == who.mode,
    ))).scalar_one_or_none()


async def by_meter(session: AsyncSession, who: Principal, meter_ids: set[str]) -> dict[str, RateCard]:
    """Rate cards by meter id for ``meter_ids`` in the caller's organization and mode."""
    if not meter_ids:
        return {}
    rows = (await session.execute(select(RateCard).where(
        RateCard.meter_id.in_(meter_ids), RateCard.org_id == who.org_id, RateCard.mode == who.mode,
    ))).scalars().all()
    return {r.meter_id: r for r in rows}


async def delete(session: AsyncSession, card: RateCard) -> None:
    """Delete ``card`` (flushed)."""
    await session.delete(card)
    await session.flush()


async def open_usage_invoices_on_meter(session: AsyncSession, who: Principal, meter_id: str, *,
                                       fresh: bool = False) -> list[Invoice]:
    """Open (Drafted / In Progress) invoices that bill usage, of contracts with a phase whose plan prices
    ``meter_id``; ordered by contract and date. ``fresh`` re-reads invoices already loaded."""
    on_meter = (
        select(ContractPhase.contract_id)
        .join(PlanPricing, PlanPricing.plan_id == ContractPhase.plan_id)
        .join(Pricing, Pricing.id == PlanPricing.pricing_id)
        .where(Pricing.meter_id == meter_id, Pricing.org_id == who.org_id, Pricing.mode == who.mode)
    )
    return list((await session.execute(select(Invoice).where(
        Invoice.org_id == who.org_id, Invoice.mode == who.mode, Invoice.contract_id.in_(on_meter),
        Invoice.status.in_(OPEN_STATUSES), Invoice.usage_start.is_not(None),
    ).order_by(Invoice.contract_id, Invoice.invoice_date, Invoice.id)
        .execution_options(populate_existing=fresh))).scalars().all())
