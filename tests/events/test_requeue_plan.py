"""Re-queueing a customer's unmatched events (customer or contract created, plan changed, the
rematch endpoint) reads only the partial indexes of unmatched and of pending events, never the
whole events table, also under PostgreSQL's generic plan of a prepared statement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from monk.events.repository import requeue_statements
from monk.kit.db import create_engine
from tests.events.test_claim_plan import _pg_literal

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _compiled(stmt: Any, dialect: Any) -> tuple[str, list[Any]]:
    """A statement as the driver receives it (the customer references' ``IN`` list expanded)."""
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


def _statements() -> list[tuple[str, object]]:
    out = []
    for ext, start, end in ((None, None, None), ("ext-1", AT, None), ("ext-1", AT, AT.replace(year=2027))):
        lock_pending, requeue = requeue_statements(org_id="o", mode="live", customer_id="c", external_customer_id=ext,
                                                   start=start, end=end)
        out += [("ix_events_pending_customer", lock_pending), ("ix_events_unmatched_customer", requeue)]
    return out


@pytest.mark.parametrize("index_stmt", range(6))
async def test_requeue_plans_use_the_partial_indexes(database_url: str, index_stmt: int) -> None:
    index, stmt = _statements()[index_stmt]
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            sql, args = _compiled(stmt, conn.dialect)
            if conn.dialect.name == "sqlite" and index == "ix_events_pending_customer":
                pytest.skip("SQLite locks nothing: its write transaction excludes every worker already")
            if conn.dialect.name == "postgresql":
                await raw.execute("SET plan_cache_mode = force_generic_plan")
                await raw.execute("PREPARE monk_requeue AS " + sql)
                literals = ", ".join("NULL" if a is None else f"'{a.isoformat()}'" if isinstance(a, datetime)
                                     else _pg_literal(a) for a in args)
                plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN EXECUTE monk_requeue({literals})"))
                await raw.execute("DEALLOCATE monk_requeue")
                assert index in plan and "Seq Scan on events" not in plan, plan
            else:
                cursor = await raw.execute("EXPLAIN QUERY PLAN " + sql, args)
                plan = "\n".join(str(r[-1]) for r in await cursor.fetchall())
                assert f"INDEX {index}" in plan and "SCAN events\n" not in plan + "\n", plan
    finally:
        await engine.dispose()
