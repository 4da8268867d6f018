"""All meter queries; every one is scoped to the caller's organization and mode."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import column_in
from monk.kit.pagination import Page
from monk.models import Meter, Plan, PlanPricing, Pricing
from monk.models.statuses import PlanStatus

BLOCKING_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.DRAFT)


def _scope(principal: Principal) -> list[ColumnElement[bool]]:
    return [Meter.org_id == principal.org_id, Meter.mode == principal.mode]


async def get(session: AsyncSession, principal: Principal, meter_id: str) -> Meter | None:
    """The meter ``meter_id`` (archived or not) in the caller's organization and mode, or None."""
    return (await session.execute(select(Meter).where(Meter.id == meter_id, *_scope(principal)))).scalar_one_or_none()


async def get_live(session: AsyncSession, principal: Principal, meter_id: str) -> Meter | None:
    """The meter ``meter_id`` if it exists in the caller's organization and mode and is not archived."""
    return (await session.execute(
        select(Meter).where(Meter.id == meter_id, Meter.archived_at.is_(None), *_scope(principal))
    )).scalar_one_or_none()


async def live_by_code(session: AsyncSession, principal: Principal, code: str) -> Meter | None:
    """The non-archived meter with ``code``, or None (archived meters free their code)."""
    return (await session.execute(
        select(Meter).where(Meter.code == code, Meter.archived_at.is_(None), *_scope(principal))
    )).scalar_one_or_none()


async def list_page(session: AsyncSession, principal: Principal, page: Page, *, status: str) -> tuple[list[Meter], int]:
    """One page of meters, oldest first, and the total; ``status`` is ``active``, ``inactive`` or ``all``."""
    cond = _scope(principal)
    if status != "all":
        cond.append(Meter.status == status)
    total = (await session.execute(select(func.count()).select_from(Meter).where(*cond))).scalar_one()
    rows = (await session.execute(
        select(Meter).where(*cond).order_by(Meter.created_at, Meter.id).limit(page.limit).offset(page.offset)
    )).scalars().all()
    return list(rows), total


async def blocking_use(session: AsyncSession, principal: Principal, meter_id: str) -> tuple[str, str, str] | None:
    """One ``(pricing code, plan code, plan status)`` where a pricing on the meter is in a DRAFT or
    ACTIVE plan, or None when the meter can be archived."""
    row = (await session.execute(
        select(Pricing.code, Plan.plan_code, Plan.status)
        .join(PlanPricing, PlanPricing.pricing_id == Pricing.id)
        .join(Plan, Plan.id == PlanPricing.plan_id)
        .where(
            Pricing.meter_id == meter_id, Pricing.org_id == principal.org_id, Pricing.mode == principal.mode,
            Plan.org_id == principal.org_id, Plan.mode == principal.mode, Plan.status.in_(BLOCKING_PLAN_STATUSES),
        )
        .order_by(Plan.created_at, Plan.id)
        .limit(1)
    )).first()
    return None if row is None else (row[0], row[1], row[2])


async def names(session: AsyncSession, principal: Principal, meter_ids: set[str]) -> dict[str, str]:
    """``{meter id: display name}`` of the caller's meters among ``meter_ids``, archived ones too (one query)."""
    if not meter_ids:
        return {}
    rows = await session.execute(select(Meter.id, Meter.display_name).where(
        *_scope(principal), column_in(session, Meter.id, sorted(meter_ids))))
    return {row.id: row.display_name for row in rows}
