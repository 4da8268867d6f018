"""Read queries over meters, pricing, events and usage records for the estimate and the usage cost.
Every query is scoped to the caller's organization and mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.models import Customer, Event, Meter, Pricing, UsageRecord
from monk.models.statuses import MeterStatus

STREAM_CHUNK = 2000


async def active_meters(session: AsyncSession, principal: Principal) -> list[Meter]:
    """Meters that accept events (status ``active``, not archived), oldest first."""
    return list((await session.execute(select(Meter).where(
        Meter.org_id == principal.org_id, Meter.mode == principal.mode, Meter.status == MeterStatus.ACTIVE,
        Meter.archived_at.is_(None),
    ).order_by(Meter.created_at, Meter.id))).scalars().all())


async def list_unit_amounts(session: AsyncSession, principal: Principal, meter_ids: set[str]) -> dict[str, Pricing]:
    """For each of ``meter_ids``: its oldest untiered USAGE pricing with a ``unitAmount`` (the list price)."""
    if not meter_ids:
        return {}
    rows = (await session.execute(select(Pricing).where(
        Pricing.org_id == principal.org_id, Pricing.mode == principal.mode, Pricing.meter_id.in_(meter_ids),
        Pricing.model == "USAGE", Pricing.tiering == "NONE", Pricing.unit_amount.is_not(None),
    ).order_by(Pricing.created_at, Pricing.id))).scalars().all()
    out: dict[str, Pricing] = {}
    for p in rows:
        out.setdefault(p.meter_id or "", p)
    return out


async def customer_events(
    session: AsyncSession, principal: Principal, customer: Customer, start: datetime, end: datetime,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Stream ``(eventName, properties)`` of the customer's stored events with ``start <= timestamp < end``
    (sent with its id or external id, or matched to it), in chunks."""
    who_sent = [Event.customer_id == customer.id, Event.matched_customer_id == customer.id]
    if customer.external_customer_id:
        who_sent.append(Event.external_customer_id == customer.external_customer_id)
    stmt = select(Event.event_name, Event.properties).where(
        Event.org_id == principal.org_id, Event.mode == principal.mode, Event.timestamp >= start, Event.timestamp < end,
        or_(*who_sent),
    ).execution_options(yield_per=STREAM_CHUNK)
    result = await session.stream(stmt)
    async for name, properties in result:
        yield name, properties or {}


async def contract_usage(
    session: AsyncSession, principal: Principal, contract_id: str, start: datetime, end: datetime, *,
    with_properties: bool,
) -> AsyncIterator[tuple[date, str, str, str, str | None, dict[str, Any] | None]]:
    """Stream ``(period_start, phase_id, meter_id, dimension_key, value, properties | None)`` of the
    contract's usage records whose event timestamp is in ``[start, end)``; ``properties`` only when
    ``with_properties``."""
    cols: list[Any] = [UsageRecord.period_start, UsageRecord.phase_id, UsageRecord.meter_id,
                       UsageRecord.dimension_key, UsageRecord.value]
    if with_properties:
        cols.append(Event.properties)
    stmt = select(*cols).join(Event, Event.id == UsageRecord.event_id).where(
        UsageRecord.contract_id == contract_id, Event.org_id == principal.org_id, Event.mode == principal.mode,
        Event.timestamp >= start, Event.timestamp < end,
    ).execution_options(yield_per=STREAM_CHUNK)
    result = await session.stream(stmt)
    async for row in result:
        yield row[0], row[1], row[2], row[3], row[4], (row[5] or {}) if with_properties else None
