"""The worker's claim of pending events uses the partial index on pending events, also under the
generic plan PostgreSQL switches a prepared statement to after five executions (with a bound
``status = $1`` it could not, and every claim scanned the whole events table)."""

from __future__ import annotations

from sqlalchemy import select

from monk.events.tasks import CLAIM, IS_PENDING
from monk.kit.db import create_engine
from monk.models import Event


def _claim(dialect: object) -> tuple[str, list[object]]:
    """The worker's claim as the driver receives it: SQL text and positional parameters."""
    stmt = select(*CLAIM).where(IS_PENDING).order_by(Event.received_at).limit(2000).with_for_update(skip_locked=True)
    compiled = stmt.compile(dialect=dialect)  # type: ignore[arg-type]
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


async def test_claim_plan_uses_the_pending_index(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            sql, args = _claim(conn.dialect)
            if conn.dialect.name == "postgresql":
                await raw.execute("SET plan_cache_mode = force_generic_plan")
                await raw.execute("PREPARE monk_claim AS " + sql)
                literals = ", ".join(f"'{a}'" if isinstance(a, str) else str(a) for a in args)
                plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN EXECUTE monk_claim({literals})"))
                await raw.execute("DEALLOCATE monk_claim")
                assert "ix_events_pending" in plan and "Seq Scan" not in plan, plan
            else:
                cursor = await raw.execute("EXPLAIN QUERY PLAN " + sql, args)
                plan = "\n".join(str(r[-1]) for r in await cursor.fetchall())
                assert "USING INDEX ix_events_pending" in plan, plan
    finally:
        await engine.dispose()


def test_a_bound_status_would_lose_the_index() -> None:
    """The literal is what the test above pins: the compiled claim carries no parameter for it."""
    from sqlalchemy.dialects import postgresql

    sql, args = _claim(postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    assert "events.status = 'pending'" in sql and args == [2000]
