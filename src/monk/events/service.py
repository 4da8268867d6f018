"""Event ingestion rules (reference §4): defaults, duplicate collapsing, the upsert. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.events import repository
from monk.events.schemas import EventIn
from monk.kit.auth import Principal
from monk.kit.ids import new_id


def to_rows(who: Principal, events: list[EventIn], now: datetime) -> list[dict[str, Any]]:
    """Rows for the events table; a missing key gets a UUID, a missing timestamp ``now``.

    Duplicates of one idempotency key inside the list collapse to the last one (§4.1: the
    most recent version wins).
    """
    rows: dict[str, dict[str, Any]] = {}
    for ev in events:
        key = ev.idempotency_key or new_id()
        rows[key] = {
            "id": new_id(), "org_id": who.org_id, "mode": who.mode, "idempotency_key": key,
            "event_name": ev.event_name, "customer_id": ev.customer_id,
            "external_customer_id": ev.external_customer_id, "contract_id": ev.contract_id,
            "timestamp": ev.timestamp or now, "properties": ev.properties, "received_at": now,
            "status": "pending", "unmatched_reason": None,
        }
    return list(rows.values())


async def ingest(session: AsyncSession, who: Principal, events: list[EventIn], now: datetime) -> list[str]:
    """Store ``events`` (upsert, last write wins); returns the idempotency keys used, in input order."""
    rows = to_rows(who, events, now)
    await repository.upsert_events(session, rows)
    return [r["idempotency_key"] for r in rows]
