"""The email job: send the due emails over SMTP, a batch at a time, one connection per batch.

A batch is claimed in a committed transaction that leases it (``attempts`` + 1, ``next_attempt_at``
moved ``LEASE`` ahead), then sent with no transaction open, then each outcome is recorded under that
attempt number: two workers never send one attempt, and a worker that died lets its lease expire (the
email is sent again: at least once; the same ``Message-ID``). Outcomes:

- accepted by the server → ``sent`` (recipients it refused, if some were accepted, go to ``last_error``);
- refused for good (every recipient, or the message, with a 5xx reply) → ``failed`` at once;
- anything else (server unreachable, login refused, a 4xx reply, a timeout) → retried after
  ``BACKOFF`` (1, 2, 4 … 60 minutes) with ``last_error``, ``failed`` after ``MAX_ATTEMPTS``.

A message that fails never holds up the others of its batch: the connection is opened again for the
next one when it broke. The outcomes of a batch are recorded in one transaction, split by
``kit.jobs.run_isolated`` when one cannot be (that email's lease then expires and it is sent again).

Without ``MONK_SMTP_URL`` nothing is sent: due emails are marked ``skipped`` (never sent later, so
configuring SMTP later does not send stale invoices), and that is logged once per ``Mailer``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.email import repository, smtp
from monk.kit.clock import Clock
from monk.kit.jobs import MAX_ERROR_LENGTH, Backoff, error_text, run_isolated
from monk.settings import Settings

log = structlog.get_logger("monk.email")
JOB = "email"
BATCH = 20  # emails claimed, and sent on one connection, at a time
MAX_ATTEMPTS = 8  # the last about 2 hours after the first
BACKOFF = Backoff(base_seconds=60.0, cap_seconds=3600.0)
LEASE = timedelta(minutes=15)  # a claimed batch is another worker's again after this
SEND_WITHIN = LEASE / 3  # no new message of a batch is started after this; the rest are handed back
NOT_CONFIGURED = "MONK_SMTP_URL is not set: not sent"


@dataclass(frozen=True)
class Outgoing:
    """A claimed email, leased as attempt ``attempt``, with everything needed to send it."""

    id: str
    attempt: int
    org_id: str
    recipients: tuple[dict[str, Any], ...]
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: ``sent`` (``note``: recipients refused), ``retry`` or ``failed``
    (``error``), or ``released`` (never attempted)."""

    email: Outgoing
    result: str
    error: str | None = None


@dataclass
class SendReport:
    """Emails sent, given up (``failed``), to be retried later, and skipped (no SMTP configured)."""

    sent: int = 0
    failed: int = 0
    retry: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # the first few errors, for the CLI

    def add(self, outcome: Outcome) -> None:
        """Count ``outcome``."""
        if outcome.result == "sent":
            self.sent += 1
        elif outcome.result in ("failed", "retry"):
            setattr(self, outcome.result, getattr(self, outcome.result) + 1)
            if outcome.error and len(self.errors) < 5:
                self.errors.append(f"{outcome.email.id}: {outcome.error}")


class Mailer:
    """Sends the due emails of the database behind ``sessions`` through ``settings.smtp_url``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock, settings: Settings,
                 batch: int = BATCH) -> None:
        self.sessions = sessions
        self.clock = clock
        self.sender = settings.email_from
        self.timeout = settings.smtp_timeout_seconds
        self.target = smtp.SmtpTarget.parse(settings.smtp_url) if settings.smtp_url else None
        self.batch = batch
        self._told_unconfigured = False

    async def send_due(self) -> SendReport:
        """Send every email due at the clock's now, batch after batch, until none is due; returns the
        counts. Without an SMTP server, marks them ``skipped``. Database errors propagate (the
        caller's loop retries); SMTP errors never do."""
        report = SendReport()
        while True:
            if self.target is None:
                n = await self._skip()
                report.skipped += n
                if n < self.batch:
                    return report
                continue
            emails = await self.claim()
            if not emails:
                return report
            for outcome in await self.record(await self.deliver(emails)):
                report.add(outcome)

    async def _skip(self) -> int:
        async with self.sessions() as session:
            n = await repository.skip_due(session, now=self.clock.now(), limit=self.batch, reason=NOT_CONFIGURED)
            await session.commit()
        if n and not self._told_unconfigured:
            self._told_unconfigured = True
            log.warning("MONK_SMTP_URL is not set: emails are not sent, due emails are marked skipped", skipped=n)
        return n

    async def claim(self) -> list[Outgoing]:
        """Claim and lease up to one batch of due emails in one committed transaction."""
        now = self.clock.now()
        async with self.sessions() as session:
            rows = await repository.claim_due(session, now=now, limit=self.batch)
            if not rows:
                return []
            await repository.lease(session, [r.id for r in rows], until=now + LEASE, now=now)
            await session.commit()
        return [Outgoing(id=r.id, attempt=r.attempts + 1, org_id=r.org_id, recipients=tuple(r.recipients),
                         subject=r.subject, text=r.text_body, html=r.html_body) for r in rows]

    async def deliver(self, emails: Sequence[Outgoing]) -> list[Outcome]:
        """Send ``emails`` on one connection (opened again after it broke); never raises. An email not
        started within ``SEND_WITHIN`` is ``released``."""
        assert self.target is not None
        started = time.monotonic()
        client: aiosmtplib.SMTP | None = None
        outcomes: list[Outcome] = []
        try:
            for i, mail in enumerate(emails):
                if time.monotonic() - started > SEND_WITHIN.total_seconds():
                    outcomes.extend(Outcome(e, "released") for e in emails[i:])
                    break
                if client is None:
                    client = self.target.client(timeout=self.timeout)
                    try:
                        await client.connect()
                    except Exception as exc:  # noqa: BLE001 - the server is down: every email of the batch waits
                        error = _bounded(f"connecting to {self.target.host}:{self.target.port}: {error_text(exc)}")
                        outcomes.extend(self._failure(e, error, permanent=False) for e in emails[i:])
                        client = None
                        break
                try:
                    refused = await self._send(client, mail)
                except Exception as exc:  # noqa: BLE001 - this email's failure, never the batch's
                    outcomes.append(self._failure(mail, error_text(exc), permanent=smtp.is_permanent(exc)))
                    if smtp.is_connection_failure(exc):
                        await _close(client)
                        client = None
                    continue
                outcomes.append(Outcome(mail, "sent", refused))
        finally:
            if client is not None:
                await _close(client)
        return outcomes

    async def _send(self, client: aiosmtplib.SMTP, mail: Outgoing) -> str | None:
        message, to = smtp.build(email_id=mail.id, sender=self.sender, recipients=mail.recipients,
                                 subject=mail.subject, text=mail.text, html=mail.html, date=self.clock.now())
        errors, _ = await client.send_message(message, sender=smtp.address_of(self.sender), recipients=to)
        if not errors:
            return None
        refused = "; ".join(f"{address}: {reply.code} {reply.message}" for address, reply in sorted(errors.items()))
        return error_text(RuntimeError(f"recipients refused: {refused}"))

    def _failure(self, mail: Outgoing, error: str, *, permanent: bool) -> Outcome:
        if permanent or mail.attempt >= MAX_ATTEMPTS:
            return Outcome(mail, "failed", error)
        return Outcome(mail, "retry", error)

    async def record(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Record ``outcomes`` in one transaction (split until the one that cannot be recorded is alone:
        it is logged and its lease left to expire); returns those recorded (an outcome whose lease was
        lost to another worker meanwhile is not)."""
        recorded: list[Outcome] = []

        async def run(batch: Sequence[Outcome]) -> None:
            now = self.clock.now()
            done = []
            async with self.sessions() as session:
                for o in batch:
                    if await self._apply(session, o, now):
                        done.append(o)
                await session.commit()
            recorded.extend(done)

        async def set_aside(outcome: Outcome, error: BaseException) -> None:
            log.warning("email outcome not recorded; it is sent again after its lease", job=JOB,
                        email_id=outcome.email.id, outcome=outcome.result, error=error_text(error, 300))

        await run_isolated(list(outcomes), run, set_aside, job=JOB)
        for o in recorded:
            if o.result == "failed":
                log.warning("email failed", email_id=o.email.id, org_id=o.email.org_id, attempts=o.email.attempt,
                            error=o.error)
        return recorded

    async def _apply(self, session: AsyncSession, o: Outcome, now: datetime) -> bool:
        mail = o.email
        if o.result == "sent":
            return await repository.mark_sent(session, mail.id, attempt=mail.attempt, now=now, note=o.error)
        if o.result == "released":
            return await repository.release(session, mail.id, attempt=mail.attempt, now=now)
        error = o.error or "unknown error"
        if o.result == "failed":
            return await repository.mark_failed(session, mail.id, attempt=mail.attempt, error=error, now=now)
        return await repository.retry_later(session, mail.id, attempt=mail.attempt,
                                            at=BACKOFF.retry_at(now, mail.attempt), error=error, now=now)


def _bounded(text: str) -> str:
    """``text`` within ``last_error``'s bound (``kit.jobs.MAX_ERROR_LENGTH``)."""
    return text if len(text) <= MAX_ERROR_LENGTH else text[:MAX_ERROR_LENGTH - 1] + "…"


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        if client.is_connected:
            await client.quit()
    with contextlib.suppress(Exception):
        client.close()
