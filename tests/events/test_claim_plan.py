"""The worker's claim of pending events reads the partial index on pending events by customer, also
under the generic plan PostgreSQL switches a prepared statement to after five executions (with a
bound ``status = $1`` it could not, and every claim scanned the whole events table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import true

from monk.events.repository import CUSTOMER_REF
from monk.events.repository import pending_claim as _pending
from monk.kit.db import create_engine

INDEX = "ix_events_pending_customer"


def _compiled(stmt: Any, dialect: Any) -> tuple[str, list[Any]]:
    """A statement as the driver receives it: SQL text and positional parameters."""
    compiled = stmt.compile(dialect=dialect)
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


def _pg_literal(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _claim_statements() -> list[Any]:
    """The statements a claim runs: from the start, after the cursor, and the wrap-around."""
    return [_pending(true(), 2000), _pending(CUSTOMER_REF > "c", 2000), _pending(CUSTOMER_REF <= "c", 2000)]


async def test_claim_plans_use_the_pending_index(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            for stmt in _claim_statements():
                sql, args = _compiled(stmt, conn.dialect)
                if conn.dialect.name == "postgresql":
                    await raw.execute("SET plan_cache_mode = force_generic_plan")
                    await raw.execute("PREPARE monk_claim AS " + sql)
                    literals = ", ".join(_pg_literal(a) for a in args)
                    plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN EXECUTE monk_claim({literals})"))
                    await raw.execute("DEALLOCATE monk_claim")
                    assert INDEX in plan and "Seq Scan" not in plan and "Sort" not in plan, plan
                else:
                    cursor = await raw.execute("EXPLAIN QUERY PLAN " + sql, args)
                    plan = "\n".join(str(r[-1]) for r in await cursor.fetchall())
                    assert f"USING INDEX {INDEX}" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        await engine.dispose()


def test_a_bound_status_would_lose_the_index() -> None:
    """The literal is what the test above pins: the compiled claim carries no parameter for it."""
    from sqlalchemy.dialects import postgresql

    sql, args = _compiled(_pending(CUSTOMER_REF > "c", 2000), postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    assert "events.status = 'pending'" in sql and args == ["c", 2000]
