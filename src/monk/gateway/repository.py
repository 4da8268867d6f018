"""Payment queries: an organization's Stripe connection per mode."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.models import StripeConnection


async def connection(session: AsyncSession, org_id: str, mode: str) -> StripeConnection | None:
    """The Stripe connection of ``org_id`` in ``mode``, or None."""
    return (await session.execute(select(StripeConnection).where(
        StripeConnection.org_id == org_id, StripeConnection.mode == mode))).scalar_one_or_none()


async def disconnect(session: AsyncSession, org_id: str, mode: str) -> bool:
    """Forget the Stripe connection of ``org_id`` in ``mode``; whether there was one."""
    result = await session.execute(delete(StripeConnection).where(
        StripeConnection.org_id == org_id, StripeConnection.mode == mode).returning(StripeConnection.id))
    return result.first() is not None
