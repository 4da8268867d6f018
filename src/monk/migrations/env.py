"""Alembic environment: runs migrations on Monk's async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from monk.kit.db import create_engine
from monk.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:10]}")


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement (a no-op inside a transaction, so it is set before).

    Batch mode rebuilds a table by copy, drop and rename; with enforcement on, dropping a table that
    other rows reference fails (or cascades). The migration runs with it off and is checked with
    ``PRAGMA foreign_key_check`` before its commit (``_run``)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


async def _main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic's sqlalchemy.url is set by monk.kit.migrate"
    engine = create_engine(url)
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.run_sync(_sqlite_foreign_keys, on=False)
        await conn.run_sync(_run)
        await conn.commit()
        if sqlite:
            await conn.run_sync(_sqlite_foreign_keys, on=True)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `monk migrate`")
asyncio.run(_main())
