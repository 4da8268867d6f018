"""Queries of the legacy usage shim: the pricing by code, its meter, whether a key is taken, and the insert.
Every query is scoped to the caller's organization and mode."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.models import Event, Meter, Pricing


async def pricing_by_code(session: AsyncSession, principal: Principal, code: str) -> Pricing | None:
    """The pricing whose ``code`` is ``code``, or None."""
    return (await session.execute(select(Pricing).where(
        Pricing.org_id == principal.org_id, Pricing.mode == principal.mode, Pricing.code == code,
    ))).scalar_one_or_none()


async def meter(session: AsyncSession, principal: Principal, meter_id: str) -> Meter | None:
    """The meter ``meter_id`` (archived or not), or None."""
    return (await session.execute(select(Meter).where(
        Meter.id == meter_id, Meter.org_id == principal.org_id, Meter.mode == principal.mode,
    ))).scalar_one_or_none()


async def event_key_taken(session: AsyncSession, principal: Principal, idempotency_key: str) -> bool:
    """Whether an event with ``idempotency_key`` is already stored."""
    return (await session.execute(select(Event.id).where(
        Event.org_id == principal.org_id, Event.mode == principal.mode, Event.idempotency_key == idempotency_key,
    ))).first() is not None


async def insert_event(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert one event row (no upsert): raises ``IntegrityError`` when its idempotency key exists."""
    await session.execute(insert(Event), [row])
