"""Waiting on conditions instead of sleeping: a concurrency test states what it waits for
(a worker is listening, a server answers, a transaction is blocked on a lock) and goes on the
moment it holds, or fails with a message once its time is up.

- ``until(predicate, seconds)`` polls an async or sync predicate from async code;
- ``until_sync(predicate, seconds)`` polls a sync predicate from sync code (subprocess tests);
- ``blocked_on_lock(url)`` / ``until_blocked_on_lock(url)`` ask PostgreSQL (``pg_stat_activity``)
  whether a backend of the test's own database waits for a lock another transaction holds.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from monk.kit.db import create_engine

POLL_SECONDS = 0.02


class ConditionNotMet(AssertionError):
    """Raised when a waited-for condition did not hold within its timeout."""


async def until(predicate: Callable[[], object | Awaitable[object]], seconds: float = 10.0, *,
                what: str | None = None, interval: float = POLL_SECONDS) -> object:
    """Poll ``predicate`` (sync or async, truthy when the condition holds) every ``interval``
    seconds until it holds; returns its truthy value. Raises ``ConditionNotMet`` (an
    ``AssertionError``) naming ``what`` when it still does not hold after ``seconds`` seconds."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionNotMet(f"not met within {seconds} s: {what or getattr(predicate, '__name__', predicate)}")
        await asyncio.sleep(interval)


def until_sync(predicate: Callable[[], object], seconds: float = 10.0, *, what: str | None = None,
               interval: float = POLL_SECONDS) -> object:
    """``until`` for synchronous code (a test driving a subprocess): poll ``predicate`` until it
    returns a truthy value (returned) or raise ``ConditionNotMet`` after ``seconds`` seconds."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionNotMet(f"not met within {seconds} s: {what or getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


async def blocked_on_lock(url: str) -> int:
    """How many backends connected to the database of ``url`` (PostgreSQL) wait for a heavyweight
    lock (a row or table lock another transaction holds) right now."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await _count_blocked(conn)
    finally:
        await engine.dispose()


async def until_blocked_on_lock(url: str, *, count: int = 1, seconds: float = 10.0) -> None:
    """Wait until at least ``count`` backends of the database of ``url`` (PostgreSQL) wait for a
    lock: the moment a concurrent transaction is known to be waiting for one the test holds.
    Raises ``ConditionNotMet`` after ``seconds`` seconds."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            async def blocked() -> bool:
                return await _count_blocked(conn) >= count
            await until(blocked, seconds, what=f"{count} backend(s) blocked on a lock")
    finally:
        await engine.dispose()


async def _count_blocked(conn: AsyncConnection) -> int:
    # Each poll is its own statement outside a transaction snapshot: pg_stat_activity is read
    # afresh (the statistics snapshot is per transaction, so end it).
    n = int((await conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
    ))).scalar_one())
    await conn.rollback()
    return n
