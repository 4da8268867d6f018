"""All email queries: what an email says about its invoice (organization, customer, lines), and the
outbox of ``email_messages``: claiming due emails, leasing them, recording each attempt's outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.db import claiming, column_in
from monk.models import Customer, EmailMessage, InvoiceLine, Organization
from monk.models.statuses import EmailStatus


async def organization_name(session: AsyncSession, org_id: str) -> str | None:
    """The name of organization ``org_id``, or None."""
    return (await session.execute(select(Organization.name).where(Organization.id == org_id))).scalar_one_or_none()


async def customer(session: AsyncSession, customer_id: str) -> Customer | None:
    """Customer ``customer_id`` (any organization: the caller holds its invoice), or None."""
    return (await session.execute(select(Customer).where(Customer.id == customer_id))).scalar_one_or_none()


async def invoice_lines(session: AsyncSession, invoice_id: str) -> list[InvoiceLine]:
    """The lines of invoice ``invoice_id`` in their order."""
    return list((await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                                        .order_by(InvoiceLine.position))).scalars().all())


async def of_invoice(session: AsyncSession, invoice_id: str) -> list[EmailMessage]:
    """The emails about invoice ``invoice_id``, oldest first."""
    return list((await session.execute(select(EmailMessage).where(EmailMessage.invoice_id == invoice_id)
                                        .order_by(EmailMessage.created_at, EmailMessage.id))).scalars().all())


def _due(now: datetime) -> Any:
    return select(EmailMessage).where(EmailMessage.status == EmailStatus.PENDING, EmailMessage.next_attempt_at <= now)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[EmailMessage]:
    """Up to ``limit`` pending emails due at ``now`` (``next_attempt_at`` ≤ now), oldest due first, locked
    for this transaction (``kit.db.claiming``: rows another worker holds are skipped)."""
    query = _due(now).order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(limit)
    return list((await session.execute(claiming(query))).scalars().all())


async def has_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether any pending email is due at ``now``."""
    return (await session.execute(_due(now).with_only_columns(EmailMessage.id).limit(1))).first() is not None


async def lease(session: AsyncSession, email_ids: Sequence[str], *, until: datetime, now: datetime) -> None:
    """Start one more attempt of each claimed email: ``attempts`` + 1, and nobody else claims it before
    ``until`` (its ``next_attempt_at``). Commit before calling the SMTP server."""
    if email_ids:
        await session.execute(update(EmailMessage).where(column_in(session, EmailMessage.id, email_ids))
                              .values(attempts=EmailMessage.attempts + 1, next_attempt_at=until, updated_at=now)
                              .execution_options(synchronize_session=False))


async def _settle(session: AsyncSession, email_id: str, attempt: int, values: dict[str, Any]) -> bool:
    """Apply ``values`` to the email if it is still pending at attempt ``attempt`` (its lease was not
    lost to another worker meanwhile); returns whether it was."""
    result = await session.execute(update(EmailMessage).where(
        EmailMessage.id == email_id, EmailMessage.attempts == attempt, EmailMessage.status == EmailStatus.PENDING,
    ).values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def mark_sent(session: AsyncSession, email_id: str, *, attempt: int, now: datetime,
                    note: str | None = None) -> bool:
    """Attempt ``attempt`` of the email was accepted by the SMTP server: ``sent`` now (``note``: what the
    server refused of it, e.g. some of its recipients). False when the lease was lost."""
    return await _settle(session, email_id, attempt, {"status": EmailStatus.SENT, "sent_at": now,
                                                      "next_attempt_at": None, "last_error": note, "updated_at": now})


async def retry_later(session: AsyncSession, email_id: str, *, attempt: int, at: datetime, error: str,
                      now: datetime) -> bool:
    """Attempt ``attempt`` failed with ``error`` (bounded text); the next is due ``at``."""
    return await _settle(session, email_id, attempt, {"next_attempt_at": at, "last_error": error, "updated_at": now})


async def mark_failed(session: AsyncSession, email_id: str, *, attempt: int, error: str, now: datetime) -> bool:
    """Attempt ``attempt`` failed with ``error`` and no other will be made: ``failed``."""
    return await _settle(session, email_id, attempt, {"status": EmailStatus.FAILED, "next_attempt_at": None,
                                                      "last_error": error, "updated_at": now})


async def release(session: AsyncSession, email_id: str, *, attempt: int, now: datetime) -> bool:
    """Attempt ``attempt`` was never made (its batch ran out of time): hand the email back, due now,
    without counting the attempt."""
    return await _settle(session, email_id, attempt, {"attempts": attempt - 1, "next_attempt_at": now,
                                                      "updated_at": now})


async def skip_due(session: AsyncSession, *, now: datetime, limit: int, reason: str) -> int:
    """Mark up to ``limit`` due pending emails ``skipped`` with ``reason`` (no SMTP server is configured);
    returns how many."""
    ids = [e.id for e in await claim_due(session, now=now, limit=limit)]
    if ids:
        await session.execute(update(EmailMessage).where(column_in(session, EmailMessage.id, ids))
                              .values(status=EmailStatus.SKIPPED, next_attempt_at=None, last_error=reason,
                                      updated_at=now)
                              .execution_options(synchronize_session=False))
    return len(ids)
