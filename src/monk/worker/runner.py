"""The worker: a loop that claims work rows from the database and does them.

Jobs: match pending events and recompute the drafts they touch (every wake-up or poll), finalize
due invoices and apply scheduled plan changes (every few seconds), and extend the draft horizon of
rolling contracts (once a minute). Runs in-process with ``monk serve``
or alone with ``monk worker``; several workers may run against PostgreSQL (rows are claimed with
``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.contracts import repository as contracts
from monk.contracts.service import apply_due_phases
from monk.events.tasks import ClaimCursor, match_pending
from monk.invoices.service import FinalizationRace, finalize_due, load_billing, sync_calendar
from monk.kit.clock import Clock
from monk.kit.notify import Listener
from monk.settings import Settings

log = structlog.get_logger("monk.worker")
HORIZON_EVERY_SECONDS = 60
FINALIZE_EVERY_SECONDS = 5


class Worker:
    """Runs Monk's background jobs against the database behind ``sessions``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock, settings: Settings) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self._wake = asyncio.Event()
        self._stop = False
        self._last_horizon: datetime | None = None
        self._last_finalize: datetime | None = None
        self.listener: Listener | None = None  # set while ``run_forever`` runs
        self.cursor = ClaimCursor()  # the round robin over customers with pending events

    def wake(self) -> None:
        """Ask the loop to look for work now (called after events are committed)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to finish after its current step."""
        self._stop = True
        self._wake.set()

    async def match_once(self) -> int:
        """Match one batch of pending events in one transaction; returns how many."""
        async with self.sessions() as session:
            n = await match_pending(session, now=self.clock.now(), batch_size=self.settings.worker_batch_size,
                                    cursor=self.cursor)
            await session.commit()
        return n

    async def extend_horizons(self) -> int:
        """Create the drafts rolling contracts need as time passes; returns how many were created."""
        created = 0
        async with self.sessions() as session:
            for contract in await contracts.rolling_active(session):
                created += await sync_calendar(session, await load_billing(session, contract), now=self.clock.now(),
                                               periods_ahead=self.settings.rolling_horizon_periods)
            await session.commit()
        self._last_horizon = self.clock.now()
        return created

    async def finalize_once(self) -> int:
        """Finalize the invoices that are due, in one transaction; returns how many. A race lost to
        another worker rolls the transaction back (nothing is numbered twice) and counts 0."""
        async with self.sessions() as session:
            try:
                await apply_due_phases(session, self.clock.now())
                n = await finalize_due(session, now=self.clock.now(),
                                       grace=timedelta(seconds=self.settings.finalize_grace_seconds))
            except FinalizationRace:
                await session.rollback()
                return 0
            await session.commit()
        return n

    async def drain(self) -> int:
        """Run every job until there is nothing left to do; returns the number of events matched."""
        await self.extend_horizons()
        total = 0
        while n := await self.match_once():
            total += n
        while await self.finalize_once():
            pass
        return total

    async def run_forever(self) -> None:
        """The loop: match events whenever woken (``wake()``, or a notification from another
        process on PostgreSQL: ``kit.notify``) or every ``worker_poll_seconds``; survive errors."""
        self.listener = Listener(self.sessions.kw["bind"], self.wake)
        try:
            await self._loop(self.listener)
        finally:
            await self.listener.close()

    async def _match_all(self) -> None:
        """Match until nothing is pending. A batch that was not full means the worker is keeping
        up; it waits ``worker_linger_seconds`` before the next claim, so a steady stream of single
        events is matched a few hundred at a time (each batch pays for its customers' contracts
        and their drafts' recompute once) rather than a few at a time, for at most that much more
        latency. A full batch is followed at once (a backlog drains at full speed)."""
        linger = self.settings.worker_linger_seconds
        while not self._stop:
            n = await self.match_once()
            if n == 0:
                return
            if n < self.settings.worker_batch_size and linger > 0:
                await asyncio.sleep(linger)

    async def _loop(self, listener: Listener) -> None:
        while not self._stop:
            self._wake.clear()
            await listener.ensure()
            try:
                last = self._last_horizon
                if last is None or (self.clock.now() - last).total_seconds() >= HORIZON_EVERY_SECONDS:
                    await self.extend_horizons()
                await self._match_all()
                last = self._last_finalize
                if last is None or (self.clock.now() - last).total_seconds() >= FINALIZE_EVERY_SECONDS:
                    self._last_finalize = self.clock.now()
                    while not self._stop and await self.finalize_once():
                        pass
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a failing step
                log.warning("worker step failed; retrying", error=str(exc)[:300])
                await asyncio.sleep(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.worker_poll_seconds)
