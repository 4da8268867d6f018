"""All event queries: the idempotent upsert and the filtered listing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import bulk_upsert, one_of
from monk.kit.pagination import Page
from monk.models import Event, UsageRecord

KEY = ("org_id", "mode", "idempotency_key")
MUTABLE = ("event_name", "customer_id", "external_customer_id", "contract_id", "timestamp", "properties",
           "received_at", "status", "unmatched_reason")


async def upsert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert events; a row whose (org, mode, idempotency key) exists replaces it (last write wins).

    Rows must carry distinct keys (callers collapse duplicates, keeping the last). The replaced
    row keeps its id and becomes ``pending`` again, so the worker re-matches it. Uses the dialect's
    fastest path (``kit.db.bulk_upsert``: COPY + one upsert on PostgreSQL).
    """
    await bulk_upsert(session, Event.__table__, rows, conflict=KEY, update=MUTABLE)


async def list_page(
    session: AsyncSession, who: Principal, pg: Page, *, event_name: str | None, customer_id: str | None,
    external_customer_id: str | None, start: datetime | None, end: datetime | None, matched: bool | None,
) -> tuple[list[Event], int]:
    """One page of events, newest first, and the total matching the filters."""
    cond: list[Any] = [Event.org_id == who.org_id, Event.mode == who.mode]
    if event_name is not None:
        cond.append(Event.event_name == event_name)
    if customer_id is not None:
        cond.append(or_(Event.matched_customer_id == customer_id, Event.customer_id == customer_id))
    if external_customer_id is not None:
        cond.append(Event.external_customer_id == external_customer_id)
    if start is not None:
        cond.append(Event.timestamp >= start)
    if end is not None:
        cond.append(Event.timestamp < end)
    if matched is not None:
        cond.append(Event.status == ("matched" if matched else "unmatched"))
    total = (await session.execute(select(func.count()).select_from(Event).where(*cond))).scalar_one()
    rows = (await session.execute(
        select(Event).where(*cond).order_by(Event.timestamp.desc(), Event.id.desc()).limit(pg.limit).offset(pg.offset)
    )).scalars().all()
    return list(rows), total


async def matched_contracts(session: AsyncSession, event_ids: list[str]) -> dict[str, str]:
    """Event id → the contract its usage records bill (an event is matched to one contract), for the
    given events that have records; one indexed lookup (``ix_usage_records_event``) per page."""
    if not event_ids:
        return {}
    rows = (await session.execute(
        select(UsageRecord.event_id, UsageRecord.contract_id).where(one_of(session, UsageRecord.event_id, event_ids))
        .distinct()
    )).all()
    return {event_id: contract_id for event_id, contract_id in rows}
