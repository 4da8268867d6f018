"""The raw baseline: the benchmark's batch events written straight into the ``events`` table by the
database's fastest path, without Monk in between: one binary ``COPY`` stream on PostgreSQL, one
``executemany`` transaction through the C driver on SQLite. The same rows (same keys, columns and
indexes) as the API run, so the ratio API / raw says how much of the database's own write rate
the Events API delivers. The rows are built before the clock starts (ids, JSON), so the figure is
the write alone. The table is emptied afterwards.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from uuid_utils import uuid7

from monk.bench.load import EVENT_NAME, batch_key, tokens

COLUMNS = ("id", "org_id", "mode", "idempotency_key", "event_name", "customer_id", "external_customer_id",
           "contract_id", "timestamp", "properties", "received_at", "status", "unmatched_reason",
           "matched_customer_id")


def _rows(count: int, org_id: str, customer: str, *, text_times: bool) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    stamp: Any = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if text_times else now
    return [(str(uuid7()), org_id, "live", batch_key(n), EVENT_NAME, None, customer, None, stamp,
             json.dumps({"tokens": tokens(n), "model": "gpt-4o"}, separators=(",", ":")), stamp, "pending", None, None)
            for n in range(count)]


async def _postgresql(dsn: str, count: int, org_id: str, customer: str) -> float:
    import asyncpg

    rows = _rows(count, org_id, customer, text_times=False)
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("events", records=rows, columns=list(COLUMNS))
        seconds = time.perf_counter() - t0
        await conn.execute("TRUNCATE events")
    finally:
        await conn.close()
    return seconds


def _sqlite(path: str, count: int, org_id: str, customer: str) -> float:
    rows = _rows(count, org_id, customer, text_times=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows)
        db.execute("COMMIT")
        seconds = time.perf_counter() - t0
        db.execute("DELETE FROM events")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return seconds


def baseline(url: str, count: int, *, org_id: str, customer: str) -> dict[str, Any]:
    """Write ``count`` batch-phase rows raw into ``events`` of the database at ``url`` (a Monk URL),
    time it, empty the table; returns ``{"rows", "seconds", "rows_per_second", "method"}``."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        seconds = _sqlite(path, count, org_id, customer)
        method = "SQLite executemany, one transaction"
    else:
        dsn = "postgresql://" + url.split("://", 1)[1]
        seconds = asyncio.run(_postgresql(dsn, count, org_id, customer))
        method = "PostgreSQL binary COPY, one stream"
    return {"rows": count, "seconds": seconds, "rows_per_second": count / seconds, "method": method}
