"""All rate-card queries; every one is scoped to the caller's organization and mode."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.models import RateCard


async def get(session: AsyncSession, principal: Principal, meter_id: str) -> RateCard | None:
    """The rate card of meter ``meter_id`` in the caller's organization and mode, or None."""
    return (await session.execute(select(RateCard).where(
        RateCard.meter_id == meter_id, RateCard.org_id == principal.org_id, RateCard.mode == principal.mode,
    ))).scalar_one_or_none()


async def by_meter(session: AsyncSession, principal: Principal, meter_ids: set[str]) -> dict[str, RateCard]:
    """Rate cards by meter id for ``meter_ids`` in the caller's organization and mode."""
    if not meter_ids:
        return {}
    rows = (await session.execute(select(RateCard).where(
        RateCard.meter_id.in_(meter_ids), RateCard.org_id == principal.org_id, RateCard.mode == principal.mode,
    ))).scalars().all()
    return {r.meter_id: r for r in rows}


async def delete(session: AsyncSession, card: RateCard) -> None:
    """Delete ``card`` (flushed)."""
    await session.delete(card)
    await session.flush()
