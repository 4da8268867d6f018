"""Event ingestion rules (reference §4): defaults, duplicate collapsing, the upsert. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils import uuid7

from monk.events import repository
from monk.events.schemas import ValidEvent
from monk.kit.auth import Principal


def to_rows(who: Principal, events: list[ValidEvent], now: datetime) -> list[dict[str, Any]]:
    """Rows for the events table; a missing key gets a UUID, a missing timestamp ``now``.

    Duplicates of one idempotency key inside the list collapse to the last one (§4.1: the
    most recent version wins). Ids are UUIDv7 strings (time-ordered).
    """
    rows: dict[str, dict[str, Any]] = {}
    org, mode = who.org_id, who.mode
    for name, cid, ext, contract, key, ts, props in events:
        if key is None:
            key = str(uuid7())
        rows[key] = {
            "id": str(uuid7()), "org_id": org, "mode": mode, "idempotency_key": key, "event_name": name,
            "customer_id": cid, "external_customer_id": ext, "contract_id": contract,
            "timestamp": ts or now, "properties": props, "received_at": now, "status": "pending",
            "unmatched_reason": None,
        }
    return list(rows.values())


async def ingest(session: AsyncSession, who: Principal, events: list[ValidEvent], now: datetime) -> list[str]:
    """Store ``events`` (upsert, last write wins); returns the idempotency keys used, in input order
    (a key sent twice is listed once)."""
    rows = to_rows(who, events, now)
    await repository.upsert_events(session, rows)
    return [r["idempotency_key"] for r in rows]
