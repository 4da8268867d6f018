"""Wake-ups between processes: whoever commits new events announces it, a worker in another
process listens, so it starts matching at once instead of at its next poll.

PostgreSQL: ``NOTIFY monk_events`` inside the writing transaction (delivered at commit, so a
wake-up never arrives before the data it announces, and a rolled-back write announces nothing)
and ``LISTEN monk_events`` on a connection the worker keeps for it. SQLite: nothing to do (one
host; a worker inside the server is woken directly, a separate one polls). Polling stays the
fallback: a lost notification or listener delays work by at most one poll interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = structlog.get_logger("monk.worker")

CHANNEL = "monk_events"
RETRY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0


async def announce(session: AsyncSession) -> None:
    """Queue a wake-up for listening workers, delivered when the session's transaction commits
    (PostgreSQL; nothing on SQLite). Call it in the transaction that writes the events."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"NOTIFY {CHANNEL}"))


class Listener:
    """Holds a dedicated connection that ``LISTEN``s on ``CHANNEL`` and calls ``on_notify`` for
    every notification. ``ensure()`` (re)connects when needed, at most every ``RETRY_SECONDS``
    after a failure; it never raises. Does nothing on SQLite."""

    def __init__(self, engine: AsyncEngine, on_notify: Callable[[], None]) -> None:
        self.engine = engine
        self.on_notify = on_notify
        self._conn: Any = None
        self._next_try = 0.0

    @property
    def listening(self) -> bool:
        """Whether a live connection is listening now."""
        return self._conn is not None and not self._conn.is_closed()

    async def ensure(self) -> bool:
        """Listen if not listening yet (or any more); returns whether it listens."""
        if self.engine.dialect.name != "postgresql" or self.listening:
            return self.listening
        if time.monotonic() < self._next_try:
            return False
        await self.close()
        try:
            import asyncpg

            dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS)
            await self._conn.add_listener(CHANNEL, self._received)
        except Exception as exc:  # noqa: BLE001 - polling covers for a listener that cannot connect
            log.warning("cannot listen for new events; polling only", error=str(exc)[:200])
            await self.close()
            self._next_try = time.monotonic() + RETRY_SECONDS
            return False
        return True

    def _received(self, *_: Any) -> None:
        self.on_notify()

    async def close(self) -> None:
        """Stop listening and close the connection."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
                conn.terminate()
