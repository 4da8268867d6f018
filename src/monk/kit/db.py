"""The database seam: engine and sessions, column types, and every dialect difference.

SQLite (embedded default) and PostgreSQL differ in three places, all handled here:
- transactions: SQLite write transactions must start with ``BEGIN IMMEDIATE`` or concurrent
  read-then-write transactions fail with "database is locked"; WAL mode is on;
- exact decimals: SQLite's NUMERIC loses precision, so decimals are stored as exact text there;
- upserts: ``INSERT … ON CONFLICT`` comes from each dialect's own ``insert`` construct.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from monk.settings import normalise_database_url


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored exactly: ``NUMERIC(38, 12)`` on PostgreSQL, canonical text on SQLite."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(38, 12, asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal needs a Decimal, got {type(value).__name__}")
        if dialect.name == "postgresql":
            return value
        return format(value.normalize(), "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).normalize() if not isinstance(value, Decimal) else value.normalize()


class UTCDateTime(TypeDecorator[datetime]):
    """A tz-aware UTC instant; SQLite keeps naive UTC text, which sorts correctly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine for ``url`` (SQLite or PostgreSQL) with Monk's connection rules."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, json_serializer=_json_dumps, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable against process crashes in WAL mode
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never expire loaded objects on commit (objects are used after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_sqlite(session_or_engine: AsyncSession | AsyncEngine) -> bool:
    """Whether the bound database is SQLite."""
    bind = session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    return bind.dialect.name == "sqlite"


def insert_for(session: AsyncSession, table: Table) -> Any:
    """The dialect's ``INSERT`` construct for ``table``, which supports ``on_conflict_do_*``."""
    if is_sqlite(session):
        return sqlite.insert(table)
    return postgresql.insert(table)


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    chunk: int = 1000,
) -> None:
    """``INSERT … ON CONFLICT (conflict) DO UPDATE SET update…`` in chunks (last write wins).

    ``rows`` must not contain two rows with the same conflict key (a statement cannot touch
    the same row twice): callers collapse duplicates first, keeping the last.
    """
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        stmt = insert_for(session, table).values(list(part))
        stmt = stmt.on_conflict_do_update(
            index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update}
        )
        await session.execute(stmt)


def skip_locked(session: AsyncSession) -> dict[str, Any]:
    """Keyword arguments for ``select(...).with_for_update(**…)`` claiming job rows.

    On PostgreSQL: ``FOR UPDATE SKIP LOCKED``; on SQLite the ``BEGIN IMMEDIATE`` transaction
    already serialises writers, and the clause is not emitted.
    """
    return {} if is_sqlite(session) else {"skip_locked": True}
