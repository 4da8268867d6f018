"""Wake-ups between processes: whoever commits new events announces it, a worker in another
process listens, so it starts matching at once instead of at its next poll.

``announce(session, topic)`` is the one call for "work is waiting" (``EVENTS``: events written or
re-queued; ``WEBHOOKS``: webhook deliveries written), made in the transaction that writes it. Both
wake-ups follow the commit and never a rollback:

- PostgreSQL: ``NOTIFY monk_<topic>`` inside the transaction (delivered at commit) and ``LISTEN
  monk_<topic>`` on a connection each loop keeps for it (``Listener``): loops in other processes.
- In process: the session factory carries a ``Wakers`` (``install``); a worker running on that factory
  registers its ``wake`` there, and ``announce`` calls them through ``kit.aftercommit`` once the
  transaction commits (the embedded worker, on SQLite too).

Polling stays the fallback: a lost notification or listener delays work by at most one poll interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from monk.kit.aftercommit import after_commit
from monk.kit.db import notify

log = structlog.get_logger("monk.worker")

EVENTS = "events"  # pending events to match (the billing worker)
WEBHOOKS = "webhooks"  # webhook deliveries to send (the webhook dispatcher)
RETRY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0


_WAKERS = "monk.wakers"


def channel(topic: str) -> str:
    """The PostgreSQL channel of ``topic`` (``monk_events``, ``monk_webhooks``)."""
    return f"monk_{topic}"


class Wakers:
    """The in-process loops to wake after a commit that announced work, per topic (``wake`` callbacks)."""

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callable[[], None]]] = {}

    def add(self, callback: Callable[[], None], topic: str = EVENTS) -> None:
        """Wake ``callback`` after every commit that announces ``topic`` from now on."""
        self._callbacks.setdefault(topic, []).append(callback)

    def discard(self, callback: Callable[[], None], topic: str = EVENTS) -> None:
        """Stop waking ``callback`` (no error if it was not registered)."""
        callbacks = self._callbacks.get(topic, [])
        if callback in callbacks:
            callbacks.remove(callback)

    def waker(self, topic: str) -> Callable[[], None]:
        """One callable that wakes every loop registered for ``topic`` (an after-commit callback)."""
        def wake() -> None:
            for callback in list(self._callbacks.get(topic, ())):
                callback()
        return wake


def install(sessions: async_sessionmaker[AsyncSession]) -> Wakers:
    """Give every session of ``sessions`` a shared ``Wakers`` (returned); idempotent."""
    found = wakers_of(sessions)
    if found is not None:
        return found
    wakers = Wakers()
    sessions.configure(info={**sessions.kw.get("info", {}), _WAKERS: wakers})
    return wakers


def wakers_of(sessions: async_sessionmaker[AsyncSession]) -> Wakers | None:
    """The ``Wakers`` installed on ``sessions``, or None (a factory of a separate worker process)."""
    found = (sessions.kw.get("info") or {}).get(_WAKERS)
    return found if isinstance(found, Wakers) else None


async def announce(session: AsyncSession, topic: str = EVENTS) -> None:
    """Work of ``topic`` is waiting: once the session's transaction commits, wake listening loops in
    other processes (``NOTIFY``, PostgreSQL) and the in-process ones (``Wakers``); nothing on rollback.
    Call it in the transaction that writes or re-queues the work."""
    if session.bind.dialect.name == "postgresql":
        await notify(session, channel(topic))
    wakers = session.info.get(_WAKERS)
    if isinstance(wakers, Wakers):
        after_commit(session, wakers.waker(topic))


class Listener:
    """Holds a dedicated connection that ``LISTEN``s on ``topic``'s channel and calls ``on_notify``
    for every notification. ``ensure()`` (re)connects when needed, at most every ``RETRY_SECONDS``
    after a failure; it never raises. Does nothing on SQLite."""

    def __init__(self, engine: AsyncEngine, on_notify: Callable[[], None], topic: str = EVENTS) -> None:
        self.engine = engine
        self.on_notify = on_notify
        self.channel = channel(topic)
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
            await self._conn.add_listener(self.channel, self._received)
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
