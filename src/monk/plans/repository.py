"""All plan queries; every one is scoped to the caller's organization and mode."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import column_in
from monk.kit.pagination import Page
from monk.models import Plan, PlanPricing, Pricing, Product


async def get(session: AsyncSession, principal: Principal, plan_id: str) -> Plan | None:
    """The plan ``plan_id`` in the caller's organization and mode, or None."""
    return (await session.execute(
        select(Plan).where(Plan.id == plan_id, Plan.org_id == principal.org_id, Plan.mode == principal.mode)
    )).scalar_one_or_none()


async def by_code(session: AsyncSession, principal: Principal, plan_code: str) -> Plan | None:
    """The plan with ``plan_code`` in the caller's organization and mode, or None."""
    return (await session.execute(select(Plan).where(
        Plan.plan_code == plan_code, Plan.org_id == principal.org_id, Plan.mode == principal.mode,
    ))).scalar_one_or_none()


async def pricing_of(session: AsyncSession, plan_id: str) -> list[Pricing]:
    """The pricing bundled in plan ``plan_id``, ordered by position (the plan's tenant owns them all).

    The caller must already have resolved ``plan_id`` within its organization and mode (``get``).
    """
    return (await pricing_of_plans(session, {plan_id}))[plan_id]


async def pricing_of_plans(session: AsyncSession, plan_ids: set[str]) -> dict[str, list[Pricing]]:
    """``pricing_of`` for each of ``plan_ids`` (one query); a plan without pricing maps to ``[]``."""
    out: dict[str, list[Pricing]] = {pid: [] for pid in plan_ids}
    if not plan_ids:
        return out
    rows = (await session.execute(
        select(PlanPricing.plan_id, Pricing).select_from(Pricing)
        .join(PlanPricing, PlanPricing.pricing_id == Pricing.id)
        .join(Plan, Plan.id == PlanPricing.plan_id)
        .where(column_in(session, PlanPricing.plan_id, sorted(plan_ids)),
               Pricing.org_id == Plan.org_id, Pricing.mode == Plan.mode)
        .order_by(PlanPricing.plan_id, PlanPricing.position)
    )).all()
    for plan_id, pricing in rows:
        out[plan_id].append(pricing)
    return out


async def expanded_pricing(
    session: AsyncSession, principal: Principal, plan_ids: list[str]
) -> dict[str, list[tuple[Pricing, str]]]:
    """For each of ``plan_ids``: its ``(pricing, product name)`` list by position (one query)."""
    out: dict[str, list[tuple[Pricing, str]]] = {pid: [] for pid in plan_ids}
    if not plan_ids:
        return out
    rows = (await session.execute(
        select(PlanPricing.plan_id, Pricing, Product.name)
        .join(Pricing, Pricing.id == PlanPricing.pricing_id)
        .join(Product, Product.id == Pricing.product_id)
        .where(PlanPricing.plan_id.in_(plan_ids), Pricing.org_id == principal.org_id, Pricing.mode == principal.mode)
        .order_by(PlanPricing.plan_id, PlanPricing.position)
    )).all()
    for plan_id, pricing, product_name in rows:
        out[plan_id].append((pricing, product_name))
    return out


def add_pricing(session: AsyncSession, plan_id: str, pricing_ids: list[str]) -> None:
    """Stage the ``plan_pricing`` rows linking ``plan_id`` to ``pricing_ids`` at positions 0, 1, …"""
    session.add_all(PlanPricing(plan_id=plan_id, pricing_id=pid, position=i) for i, pid in enumerate(pricing_ids))


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, status: str | None
) -> tuple[list[Plan], int]:
    """One page of plans, oldest first, and the total matching ``status`` (all statuses when None)."""
    cond = [Plan.org_id == principal.org_id, Plan.mode == principal.mode]
    if status is not None:
        cond.append(Plan.status == status)
    total = (await session.execute(select(func.count()).select_from(Plan).where(*cond))).scalar_one()
    rows = (await session.execute(
        select(Plan).where(*cond).order_by(Plan.created_at, Plan.id).limit(page.limit).offset(page.offset)
    )).scalars().all()
    return list(rows), total


async def collection_methods(session: AsyncSession, plan_ids: set[str]) -> dict[str, str]:
    """``collection_method`` of each of ``plan_ids`` (one query). The caller has resolved them within its
    organization and mode (a contract's plans)."""
    if not plan_ids:
        return {}
    rows = (await session.execute(
        select(Plan.id, Plan.collection_method).where(column_in(session, Plan.id, sorted(plan_ids))))).all()
    return {plan_id: method for plan_id, method in rows}


async def names(session: AsyncSession, principal: Principal, plan_ids: set[str]) -> dict[str, str]:
    """``{plan id: name}`` of the caller's plans among ``plan_ids`` (one query)."""
    if not plan_ids:
        return {}
    rows = await session.execute(select(Plan.id, Plan.name).where(
        Plan.org_id == principal.org_id, Plan.mode == principal.mode, column_in(session, Plan.id, sorted(plan_ids))))
    return {row.id: row.name for row in rows}
