"""The webhook dispatcher: its own loop, beside the billing worker, that sends due deliveries.

A delivery is claimed in a committed transaction that leases it (a fresh ``lease_token``, and
``next_attempt_at`` moved to twice the attempt timeout plus 5 s ahead), then sent with no transaction open, then its
outcome is recorded under that token. Two workers therefore never send one attempt at once, and a
worker that dies mid-attempt leaves a lease that expires: the delivery is sent again, with the same
``X-Monk-Delivery-Id`` (at least once). Concurrency is bounded overall (``MONK_WEBHOOK_CONCURRENCY``)
and per endpoint (``MONK_WEBHOOK_ENDPOINT_CONCURRENCY``): a slow or dead endpoint holds only its own
share, and claims skip endpoints at their share, so it never delays the others or the billing worker.

An attempt succeeds on any 2xx within ``MONK_WEBHOOK_TIMEOUT_SECONDS`` (10 s); redirects are not
followed. A failed attempt is retried after ``catalogue.retry_delay`` until ``max_attempts`` (6) have
been made; the delivery is then ``failed``. An endpoint whose attempts have all failed for
``MONK_WEBHOOK_DISABLE_AFTER_DAYS`` (3) is disabled, with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.kit.clock import Clock, iso_ms
from monk.kit.ids import new_id
from monk.kit.jobs import error_text
from monk.kit.notify import WEBHOOKS, Listener, wakers_of
from monk.models.statuses import DeliveryStatus
from monk.settings import Settings
from monk.webhooks import repository
from monk.webhooks.catalogue import retry_delay
from monk.webhooks.signature import SIGNATURE_HEADER, sign
from monk.webhooks.urls import Resolver, UnsafeUrl

log = structlog.get_logger("monk.webhooks")
USER_AGENT = "Monk-Webhook/1.0"
LEASE_SLACK_SECONDS = 5.0  # a lease lasts twice the attempt timeout and this much: then another worker may resend
RESPONSE_BODY_BYTES = 2048
PRUNE_EVERY_SECONDS = 3600
RECORD_BATCH = 500  # attempts recorded per transaction at most
CLAIM_PAUSE_SECONDS = 0.01  # between claims while attempts are in flight


@dataclass(frozen=True)
class Claim:
    """A leased delivery, with everything needed to send it."""

    delivery_id: str
    token: str
    endpoint_id: str
    url: str
    secrets: tuple[str, ...]
    event_type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code and the start of the body, or an error."""

    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Any 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Sent:
    """One attempt made: its claim, what it got, when it started and how long it took (ms)."""

    claim: Claim
    outcome: Outcome
    started: datetime
    duration_ms: int


class Dispatcher:
    """Sends due webhook deliveries from the database behind ``sessions``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock, settings: Settings,
                 transport: httpx.AsyncBaseTransport | None = None, rng: random.Random | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.rng = rng or random.Random()
        self.resolver = Resolver(allow_private=settings.webhook_allow_private_networks)
        self.client = httpx.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=settings.webhook_concurrency,
                                max_keepalive_connections=settings.webhook_concurrency))
        self.inflight: dict[str, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.attempts = 0  # attempts recorded by this dispatcher
        self._finished: list[Sent] = []  # attempts made, waiting to be recorded
        self._recorder: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stop = False
        self._last_prune: float | None = None

    def wake(self) -> None:
        """Look for due deliveries now (called after a commit that wrote some)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish after the attempts in flight."""
        self._stop = True
        self._wake.set()

    async def claim(self) -> list[Claim]:
        """Lease the due deliveries this dispatcher has room for, within each endpoint's share, in one
        transaction (one lease token for the batch)."""
        room = self.settings.webhook_concurrency - len(self.tasks)
        share = self.settings.webhook_endpoint_concurrency
        if room <= 0:
            return []
        now = self.clock.now()
        busy = [e for e, n in self.inflight.items() if n >= share]
        until = now + timedelta(seconds=2 * self.settings.webhook_timeout_seconds + LEASE_SLACK_SECONDS)
        async with self.sessions() as session:
            rows = await repository.claim_due(session, now=now, limit=room, busy=busy)
            taken: dict[str, int] = {}
            picked = []
            for row in rows:
                n = taken.get(row.endpoint_id, 0)
                if self.inflight.get(row.endpoint_id, 0) + n < share:
                    taken[row.endpoint_id] = n + 1
                    picked.append(row)
            if not picked:
                return []
            endpoints = await repository.endpoints_by_id(session, list(taken))
            picked = [row for row in picked if row.endpoint_id in endpoints]  # deleted meanwhile: left to the deletion
            bodies = await repository.bodies(session, [row.event_id for row in picked])
            token = new_id()
            await repository.lease(session, [row.id for row in picked], token=token, until=until, now=now)
            await session.commit()
        claims = []
        for row in picked:
            endpoint = endpoints[row.endpoint_id]
            secrets = [endpoint.secret]
            expires = endpoint.previous_secret_expires_at
            if endpoint.previous_secret and expires is not None and expires > now:
                secrets.append(endpoint.previous_secret)
            claims.append(Claim(row.id, token, endpoint.id, endpoint.url, tuple(secrets), row.event_type,
                                bodies[row.event_id].encode()))
        return claims

    async def _post(self, claim: Claim) -> Outcome:
        await self.resolver.check(claim.url)
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Monk-Event": claim.event_type,
            "X-Monk-Delivery-Id": claim.delivery_id,
            SIGNATURE_HEADER: sign(claim.body, list(claim.secrets), int(self.clock.now().timestamp())),
        }
        request = self.client.build_request("POST", claim.url, content=claim.body, headers=headers)
        response = await self.client.send(request, stream=True)  # read no more of the answer than is kept
        try:
            head = bytearray()
            async for chunk in response.aiter_bytes():
                head.extend(chunk)
                if len(head) >= RESPONSE_BODY_BYTES:
                    break
        finally:
            await response.aclose()
        text = bytes(head[:RESPONSE_BODY_BYTES]).decode("utf-8", errors="replace")
        return Outcome(status_code=response.status_code, response_body=text or None)

    async def attempt(self, claim: Claim) -> Outcome:
        """Send one attempt of ``claim`` and return what it got (never raises for the receiver's faults)."""
        timeout = self.settings.webhook_timeout_seconds
        try:
            return await asyncio.wait_for(self._post(claim), timeout)
        except TimeoutError:
            return Outcome(error=f"Timed out after {timeout:g} s")
        except UnsafeUrl as exc:
            return Outcome(error=str(exc))
        except httpx.HTTPError as exc:
            return Outcome(error=error_text(exc))

    async def send(self, claim: Claim) -> Sent:
        """Make one attempt of ``claim`` and return it with its timing (nothing is recorded yet)."""
        started = self.clock.now()
        t0 = time.perf_counter()
        outcome = await self.attempt(claim)
        return Sent(claim, outcome, started, int((time.perf_counter() - t0) * 1000))

    async def deliver(self, claim: Claim) -> None:
        """Send ``claim`` and record the outcome at once (``record``)."""
        await self.record([await self.send(claim)])

    async def record(self, sent: Sequence[Sent]) -> int:
        """Record attempts in one transaction: each attempt, its delivery's status or next attempt, the
        endpoints' runs of failures. An attempt whose lease was lost meanwhile (expired and taken by
        another worker, or the delivery retried) records nothing. Returns how many were recorded."""
        now = self.clock.now()
        outcomes: dict[str, list[bool]] = {}
        done: dict[str, list[str]] = {DeliveryStatus.SUCCEEDED: [], DeliveryStatus.FAILED: []}
        attempts = []
        async with self.sessions() as session:
            leased = await repository.leases(session, [s.claim.delivery_id for s in sent])
            for s in sent:
                row = leased.get(s.claim.delivery_id)
                if row is None or row.lease_token != s.claim.token:
                    continue
                attempts.append({"id": new_id(), "delivery_id": row.id, "attempted_at": s.started,
                                 "duration_ms": s.duration_ms, "status_code": s.outcome.status_code,
                                 "error": s.outcome.error, "response_body": s.outcome.response_body})
                if s.outcome.ok:
                    done[DeliveryStatus.SUCCEEDED].append(row.id)
                elif row.attempt_count + 1 >= row.max_attempts:
                    done[DeliveryStatus.FAILED].append(row.id)
                else:
                    await repository.retry_later(session, row.id, now + retry_delay(row.attempt_count + 1, self.rng),
                                                 now=now)
                outcomes.setdefault(s.claim.endpoint_id, []).append(s.outcome.ok)
            for status, ids in done.items():
                await repository.finish(session, ids, status, now=now)
            await repository.add_attempts(session, attempts)
            for endpoint_id in sorted(outcomes):  # one update per endpoint, in one order (no deadlocks)
                if any(outcomes[endpoint_id]):
                    await repository.endpoint_succeeded(session, endpoint_id)
                else:
                    await self._failed(session, endpoint_id)
            await session.commit()
        self.attempts += len(attempts)
        return len(attempts)

    async def _failed(self, session: AsyncSession, endpoint_id: str) -> None:
        window = timedelta(days=self.settings.webhook_disable_after_days)
        now = self.clock.now()
        reason = (f"Disabled at {iso_ms(now)}: every delivery attempt failed for "
                  f"{self.settings.webhook_disable_after_days:g} days")
        if await repository.endpoint_failed(session, endpoint_id, at=now, since=now - window, reason=reason):
            log.warning("webhook endpoint disabled", endpoint_id=endpoint_id, reason=reason)

    def _flush_soon(self) -> None:
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Record what finished, many attempts per transaction: while one batch is written, the next
        gathers (a write per attempt would cap delivery at the database's commit rate)."""
        while self._finished:
            batch, self._finished = self._finished[:RECORD_BATCH], self._finished[RECORD_BATCH:]
            try:
                await self.record(batch)
            except Exception as exc:  # noqa: BLE001 - the leases expire and the deliveries are sent again
                log.warning("webhook attempts not recorded; they will be sent again", count=len(batch),
                            error=error_text(exc, 300))
        self._wake.set()

    def _start(self, claim: Claim) -> None:
        self.inflight[claim.endpoint_id] = self.inflight.get(claim.endpoint_id, 0) + 1
        task = asyncio.create_task(self._run(claim))
        self.tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self.tasks.discard(finished)
            left = self.inflight.get(claim.endpoint_id, 1) - 1
            if left > 0:
                self.inflight[claim.endpoint_id] = left
            else:
                self.inflight.pop(claim.endpoint_id, None)
            self._wake.set()  # a slot is free

        task.add_done_callback(done)

    async def _run(self, claim: Claim) -> None:
        sent = await self.send(claim)
        self._finished.append(sent)  # after the await: the flusher may have swapped the list meanwhile
        self._flush_soon()

    async def dispatch_once(self) -> int:
        """Claim and start what there is room for; returns how many attempts were started."""
        claims = await self.claim()
        for claim in claims:
            self._start(claim)
        return len(claims)

    async def drain(self) -> int:
        """Send until nothing is due at the clock's now and nothing is in flight or unrecorded; returns
        the number of attempts recorded (the server and ``monk worker`` run ``run_forever`` instead)."""
        before = self.attempts
        while True:
            started = await self.dispatch_once()
            if not started and not self.tasks:
                await self._settled()
                if not self.tasks and not await self._has_due():
                    return self.attempts - before
            if self.tasks:
                await asyncio.wait(set(self.tasks), return_when=asyncio.FIRST_COMPLETED)
                await self._gather_slots()

    async def _gather_slots(self) -> None:
        """With attempts still in flight, let a few more finish before claiming again: one claim
        transaction per freed slot would cap delivery at the database's commit rate."""
        if self.tasks:
            await asyncio.sleep(CLAIM_PAUSE_SECONDS)

    async def _settled(self) -> None:
        """Wait until every finished attempt is recorded."""
        while self._finished or (self._recorder is not None and not self._recorder.done()):
            if self._recorder is None or self._recorder.done():
                self._flush_soon()
            assert self._recorder is not None
            await self._recorder

    async def _has_due(self) -> bool:
        async with self.sessions() as session:
            return bool(await repository.claim_due(session, now=self.clock.now(), limit=1, busy=[]))

    async def prune(self) -> int:
        """Delete finished deliveries older than the retention (``MONK_WEBHOOK_RETENTION_DAYS``)."""
        before = self.clock.now() - timedelta(days=self.settings.webhook_retention_days)
        total = 0
        while True:
            async with self.sessions() as session:
                n = await repository.prune(session, before=before)
                await session.commit()
            total += n
            if n == 0:
                return total

    async def run_forever(self) -> None:
        """The loop: claim whenever woken (a commit that wrote deliveries, a freed slot, a notification
        from another process) or every ``MONK_WEBHOOK_POLL_SECONDS``; survive errors."""
        listener = Listener(self.sessions.kw["bind"], self.wake, topic=WEBHOOKS)
        wakers = wakers_of(self.sessions)
        if wakers is not None:
            wakers.add(self.wake, WEBHOOKS)
        try:
            while not self._stop:
                self._wake.clear()
                await listener.ensure()
                try:
                    if self._last_prune is None or time.monotonic() - self._last_prune >= PRUNE_EVERY_SECONDS:
                        self._last_prune = time.monotonic()
                        await self.prune()
                    while not self._stop and await self.dispatch_once():
                        await self._gather_slots()
                except Exception as exc:  # noqa: BLE001 - the dispatcher must outlive a failing step
                    log.warning("webhook dispatch failed; retrying", error=error_text(exc, 300))
                    await asyncio.sleep(1)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.webhook_poll_seconds)
        finally:
            if wakers is not None:
                wakers.discard(self.wake, WEBHOOKS)
            await listener.close()
            await self.close()

    async def close(self) -> None:
        """Wait for the attempts in flight (at most one timeout) and their recording, then close the
        HTTP client."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=self.settings.webhook_timeout_seconds + 1)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._settled(), timeout=10)
        await self.client.aclose()
