"""The worker: a loop that claims work rows from the database and does them.

Jobs: match pending events and recompute the drafts they touch (every wake-up or poll), finalize
due invoices and apply scheduled plan changes (every few seconds), extend the draft horizon of
rolling contracts (once a minute), and send due emails (every few seconds, beside the loop: a slow
SMTP server never holds up billing). Runs in-process with ``monk serve``
or alone with ``monk worker``; several workers may run against PostgreSQL (rows are claimed with
``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.contracts import repository as contracts
from monk.contracts.service import apply_due_phases
from monk.credits import drawdown
from monk.credits import repository as credit_store
from monk.email.send import Mailer, SendReport
from monk.invoices import notices
from monk.invoices.repository import FINALIZE_JOB
from monk.invoicing import repository as billing_store
from monk.invoicing.matching import JOB as MATCH_JOB
from monk.invoicing.matching import ClaimCursor, claim, claim_ids, match_events, requeue_due
from monk.invoicing.matching import set_aside as set_aside_event
from monk.invoicing.service import (
    FinalizationRace,
    due_invoice_ids,
    finalize,
    load_billing,
    settle_credits,
    start_usage_periods,
    sync_calendar,
)
from monk.invoicing.service import set_aside as set_aside_invoice
from monk.jobs import repository as failures
from monk.kit.clock import Clock
from monk.kit.jobs import error_text, run_isolated
from monk.kit.notify import Listener, wakers_of
from monk.models import JobFailure
from monk.payments import collection
from monk.payments.autopay import Collector, RunReport, through
from monk.payments.links import PaymentLinks
from monk.settings import Settings

log = structlog.get_logger("monk.worker")
HORIZON_EVERY_SECONDS = 60
FINALIZE_EVERY_SECONDS = 5
AUTOPAY_EVERY_SECONDS = 300  # the auto-pay run and the reconciler of unsettled payments
EMAIL_EVERY_SECONDS = 5  # due emails are looked for this often
EMAIL_STOP_SECONDS = 5.0  # on stop, emails being sent get this long before the job is cancelled
FINALIZE_BATCH = 20  # invoices finalized per transaction
HORIZON_BATCH = 50  # rolling contracts extended per transaction
NOTICE_JOB = "notice"
CREDIT_JOB = "credits"  # expiry and settlement of credit blocks (logs only)
CREDIT_BATCH = 200  # coalesced invoice.updated webhooks (logs only)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _log_set_aside(failure: JobFailure, **ids: str) -> None:
    """One warning per item set aside (a state change), with its ids, attempt and next retry."""
    log.warning("job item set aside", job=failure.kind, org_id=failure.org_id, attempts=failure.attempts,
                retry_at=failure.retry_at.isoformat() if failure.retry_at else None, error=failure.error, **ids)


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
        self._last_autopay: datetime | None = None
        self.on_finalized = partial(collection.finalized, links=PaymentLinks.from_settings(settings))
        self._last_email: datetime | None = None
        self._email_task: asyncio.Task[None] | None = None
        self.mailer = Mailer(sessions, clock=clock, settings=settings)
        self.passes = 0  # passes of the loop that have ended (horizons, matching, finalization)
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
        """Match one batch of pending events in one transaction; returns how many were claimed.

        When the batch fails, it is rolled back and split (``kit.jobs.run_isolated``) until the
        event at fault is alone; that event is set aside (``unmatched``, ``PROCESSING_ERROR: …``,
        retried with backoff) and every other event of the batch is matched."""
        failure: BaseException | None = None
        async with self.sessions() as session:
            events = await claim(session, self.settings.worker_batch_size, self.cursor)
            if not events:
                return 0
            try:
                await match_events(session, events, now=self.clock.now())
                await session.commit()
                return len(events)
            except Exception as exc:  # noqa: BLE001 - isolated below
                failure = exc
                with contextlib.suppress(Exception):
                    await session.rollback()
        await run_isolated([e.id for e in events], self._match_ids, self._set_aside_event, job=MATCH_JOB,
                           known_failure=failure)
        return len(events)

    async def _match_ids(self, event_ids: Sequence[str]) -> None:
        async with self.sessions() as session:
            events = await claim_ids(session, list(event_ids))
            if events:
                await match_events(session, events, now=self.clock.now())
            await session.commit()

    async def _set_aside_event(self, event_id: str, error: BaseException) -> None:
        async with self.sessions() as session:
            failure = await set_aside_event(session, event_id, error, now=self.clock.now())
            await session.commit()
        if failure is not None:
            _log_set_aside(failure, event_id=event_id)

    async def extend_horizons(self) -> int:
        """Create the drafts rolling contracts need as time passes, in batches of
        ``HORIZON_BATCH`` contracts; a contract that fails is set aside and retried with backoff.
        Returns how many drafts were created."""
        async with self.sessions() as session:
            ids = [c.id for c in await contracts.rolling_active(session, now=self.clock.now())]
        created = [0]

        async def run(batch: Sequence[str]) -> None:
            async with self.sessions() as session:
                n = 0
                for contract in await contracts.rolling_active(session, ids=list(batch)):
                    n += await sync_calendar(session, await load_billing(session, contract), now=self.clock.now(),
                                             periods_ahead=self.settings.rolling_horizon_periods)
                await failures.clear(session, contracts.HORIZON_JOB, list(batch))
                await session.commit()
            created[0] += n

        for batch in _chunks(ids, HORIZON_BATCH):
            await run_isolated(batch, run, self._set_aside_contract, job=contracts.HORIZON_JOB)
        self._last_horizon = self.clock.now()
        return created[0]

    async def _set_aside_contract(self, contract_id: str, error: BaseException) -> None:
        async with self.sessions() as session:
            contract = await billing_store.contract(session, contract_id)
            failure = await failures.record(session, kind=contracts.HORIZON_JOB, item_id=contract_id,
                                            org_id=contract.org_id if contract else None, group_id=contract_id,
                                            error=error, now=self.clock.now())
            await session.commit()
        _log_set_aside(failure, contract_id=contract_id)

    async def housekeeping(self) -> None:
        """The periodic bookkeeping before finalization, each step in its own transaction: point
        contracts at scheduled plans, move drafts whose usage period began to ``In Progress``, write
        the coalesced ``invoice.updated`` webhooks that are due (``invoices.notices``), and hand
        events set aside back to matching once their retry time has come."""
        now = self.clock.now()
        async with self.sessions() as session:
            await apply_due_phases(session, now)
            await start_usage_periods(session, now=now)
            await session.commit()
        await self.credit_upkeep(now)
        await self.send_invoice_notices(now)
        async with self.sessions() as session:
            requeued, recovered = await requeue_due(session, now=now)
            await session.commit()
        if requeued:
            log.info("events set aside handed back to matching", job=MATCH_JOB, count=requeued)
            self.wake()
        for event_id in recovered:
            log.info("job item recovered", job=MATCH_JOB, event_id=event_id)

    async def credit_upkeep(self, now: datetime) -> None:
        """Write off expired credit blocks, then draw the open invoices of contracts that got new
        credits; each contract in its own transaction, one that fails is logged and retried at the
        next pass without holding up the others (or finalization)."""
        async with self.sessions() as session:
            expiring = await credit_store.expiring_contracts(session, now, limit=CREDIT_BATCH)
            settling = await credit_store.contracts_to_settle(session, CREDIT_BATCH)

        async def run(batch: Sequence[str]) -> None:
            async with self.sessions() as session:
                await drawdown.expire_due(session, now=now, contract_ids=list(batch))
                await settle_credits(session, now=now, contract_ids=[c for c in batch if c in settling])
                await session.commit()

        async def skip(contract_id: str, error: BaseException) -> None:
            log.warning("credit upkeep failed for a contract; retried at the next pass", job=CREDIT_JOB,
                        contract_id=contract_id, error=error_text(error, 300))

        for batch in _chunks(sorted(set(expiring) | set(settling)), 10):
            await run_isolated(batch, run, skip, job=CREDIT_JOB)

    async def send_invoice_notices(self, now: datetime) -> None:
        """Write the coalesced ``invoice.updated`` webhooks that are due, ``FINALIZE_BATCH`` invoices per
        transaction; one that cannot be written is postponed on its own (``invoices.notices``)."""
        window = timedelta(seconds=self.settings.webhook_coalesce_seconds)
        async with self.sessions() as session:
            ids = await notices.due_ids(session, now=now, window=window)

        async def run(batch: Sequence[str]) -> None:
            async with self.sessions() as session:
                await notices.send_due(session, now=now, window=window, ids=list(batch))
                await session.commit()

        async def postpone(invoice_id: str, error: BaseException) -> None:
            async with self.sessions() as session:
                await notices.postpone(session, invoice_id, error, now=now)
                await session.commit()

        for batch in _chunks(ids, FINALIZE_BATCH):
            await run_isolated(batch, run, postpone, job=NOTICE_JOB)

    async def finalize_once(self) -> int:
        """Finalize the invoices that are due, ``FINALIZE_BATCH`` per transaction (a back-dated
        contract's past invoices never hold the write lock for long); an invoice that cannot be
        finalized is set aside with its error, the others are finalized. A race lost to another
        worker rolls that batch back (nothing is numbered twice). Returns how many were finalized."""
        await self.housekeeping()
        now = self.clock.now()
        grace = timedelta(seconds=self.settings.finalize_grace_seconds)
        async with self.sessions() as session:
            ids = await due_invoice_ids(session, now=now, grace=grace, limit=FINALIZE_BATCH * 10)
        done = [0]

        async def run(batch: Sequence[str]) -> None:
            async with self.sessions() as session:
                try:
                    n = await finalize(session, list(batch), now=now, grace=grace, on_finalized=self.on_finalized)
                except FinalizationRace:
                    await session.rollback()
                    return
                await session.commit()
            done[0] += n

        for batch in _chunks(ids, FINALIZE_BATCH):
            await run_isolated(batch, run, self._set_aside_invoice, job=FINALIZE_JOB)
        return done[0]

    async def _set_aside_invoice(self, invoice_id: str, error: BaseException) -> None:
        async with self.sessions() as session:
            failure = await set_aside_invoice(session, invoice_id, error, now=self.clock.now())
            await session.commit()
        if failure is not None:
            _log_set_aside(failure, invoice_id=invoice_id)

    async def collect_payments(self) -> RunReport:
        """The auto-pay run (``payments.autopay``): invoices dated through today once the day's
        ``MONK_AUTOPAY_TIME`` has passed; unsettled payments reconciled first."""
        now = self.clock.now()
        collector = Collector(self.sessions, server_key=self.settings.secret_key, clock=self.clock.now)
        report = await collector.run(through=through(now, self.settings.autopay_time))
        if report.paid or report.failed or report.processing or report.errors:
            log.info("auto-pay run", paid=report.paid, processing=report.processing, failed=report.failed,
                     retry=report.retry, errors=report.errors[:5])
        return report

    async def send_emails(self) -> SendReport:
        """Send the emails due now (``email.send``): each batch on one SMTP connection, a failing one
        retried with backoff; without ``MONK_SMTP_URL`` they are marked skipped (logged once)."""
        report = await self.mailer.send_due()
        if report.sent or report.failed or report.retry:
            log.info("emails sent", job="email", sent=report.sent, failed=report.failed, retry=report.retry,
                     errors=report.errors[:3])
        return report

    async def _email_pass(self) -> None:
        try:
            await self.send_emails()
        except Exception as exc:  # noqa: BLE001 - retried at the next pass
            log.warning("email job failed; retrying", job="email", error=error_text(exc, 300))

    def _start_emails(self) -> None:
        """Start an email pass beside the loop unless one is still running."""
        if self._email_task is None or self._email_task.done():
            self._email_task = asyncio.create_task(self._email_pass())

    async def _stop_emails(self) -> None:
        task = self._email_task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=EMAIL_STOP_SECONDS)  # leases of unsent emails expire and are retried
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drain(self) -> int:
        """Run every job until there is nothing left to do; returns the number of events matched."""
        await self.extend_horizons()
        await self.housekeeping()
        total = 0
        while n := await self.match_once():
            total += n
        while await self.finalize_once():
            pass
        await self.send_emails()
        return total

    async def run_forever(self) -> None:
        """The loop: match events whenever woken (``wake()``, or a notification from another
        process on PostgreSQL: ``kit.notify``) or every ``worker_poll_seconds``; survive errors."""
        self.listener = Listener(self.sessions.kw["bind"], self.wake)
        wakers = wakers_of(self.sessions)  # commits through the same factory wake this loop (kit.notify)
        if wakers is not None:
            wakers.add(self.wake)
        try:
            await self._loop(self.listener)
        finally:
            if wakers is not None:
                wakers.discard(self.wake)
            await self._stop_emails()
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
                last = self._last_autopay
                if last is None or (self.clock.now() - last).total_seconds() >= AUTOPAY_EVERY_SECONDS:
                    self._last_autopay = self.clock.now()
                    await self.collect_payments()
                last = self._last_email
                if last is None or (self.clock.now() - last).total_seconds() >= EMAIL_EVERY_SECONDS:
                    self._last_email = self.clock.now()
                    self._start_emails()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a failing step
                log.warning("worker step failed; retrying", error=str(exc)[:300])
                await asyncio.sleep(1)
            self.passes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.worker_poll_seconds)
