"""All webhook queries: endpoints, the outbox, claiming due deliveries, the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import claiming, column_in
from monk.kit.pagination import Page
from monk.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from monk.models.statuses import DeliveryStatus


async def endpoint(session: AsyncSession, principal: Principal, endpoint_id: str) -> WebhookEndpoint | None:
    """The caller's endpoint ``endpoint_id``, or None."""
    return (await session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.org_id == principal.org_id,
        WebhookEndpoint.mode == principal.mode))).scalar_one_or_none()


async def endpoints_page(session: AsyncSession, principal: Principal, page: Page) -> tuple[list[WebhookEndpoint], int]:
    """One page of the caller's endpoints, oldest first, and their total."""
    cond = (WebhookEndpoint.org_id == principal.org_id, WebhookEndpoint.mode == principal.mode)
    total = (await session.execute(select(func.count()).select_from(WebhookEndpoint).where(*cond))).scalar_one()
    rows = (await session.execute(select(WebhookEndpoint).where(*cond).order_by(
        WebhookEndpoint.created_at, WebhookEndpoint.id).limit(page.limit).offset(page.offset))).scalars().all()
    return list(rows), total


async def subscribers(session: AsyncSession, org_id: str, mode: str) -> list[WebhookEndpoint]:
    """The enabled endpoints of an organization and mode (the caller filters by event type)."""
    return list((await session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org_id, WebhookEndpoint.mode == mode, WebhookEndpoint.enabled.is_(True),
    ).order_by(WebhookEndpoint.created_at))).scalars().all())


async def endpoints_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, WebhookEndpoint]:
    """Endpoints by id (any organization: for the dispatcher)."""
    if not ids:
        return {}
    rows = (await session.execute(select(WebhookEndpoint).where(column_in(session, WebhookEndpoint.id, ids))))
    return {e.id: e for e in rows.scalars().all()}


async def bodies(session: AsyncSession, event_ids: Sequence[str]) -> dict[str, str]:
    """The JSON text of outbox events by id."""
    if not event_ids:
        return {}
    rows = await session.execute(select(WebhookEvent.id, WebhookEvent.body).where(
        column_in(session, WebhookEvent.id, event_ids)))
    return {row.id: row.body for row in rows}


async def failed_count(session: AsyncSession, principal: Principal, *, since: datetime) -> int:
    """How many of the caller's deliveries created since ``since`` failed for good."""
    return int((await session.execute(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.org_id == principal.org_id, WebhookDelivery.mode == principal.mode,
        WebhookDelivery.created_at >= since, WebhookDelivery.status == DeliveryStatus.FAILED))).scalar_one())

async def claim_due(session: AsyncSession, *, now: datetime, limit: int, busy: Sequence[str]) -> list[Any]:
    """Up to ``limit`` pending deliveries due at ``now`` (``next_attempt_at`` ≤ now), oldest due first,
    of enabled endpoints not in ``busy``, locked for this transaction (``kit.db.claiming``): rows of
    ``id``, ``endpoint_id``, ``event_id``, ``event_type``."""
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    d = WebhookDelivery
    query = select(d.id, d.endpoint_id, d.event_id, d.event_type).where(
        d.status == DeliveryStatus.PENDING, d.next_attempt_at <= now, d.endpoint_id.in_(enabled))
    if busy:
        query = query.where(d.endpoint_id.not_in(list(busy)))
    return list((await session.execute(claiming(query.order_by(d.next_attempt_at).limit(limit)))).all())


async def lease(session: AsyncSession, delivery_ids: Sequence[str], *, token: str, until: datetime,
                now: datetime) -> None:
    """Lease the claimed deliveries under ``token`` until ``until`` (their next attempt moves there)."""
    await session.execute(update(WebhookDelivery).where(column_in(session, WebhookDelivery.id, delivery_ids))
                          .values(lease_token=token, next_attempt_at=until, updated_at=now)
                          .execution_options(synchronize_session=False))


async def leases(session: AsyncSession, delivery_ids: Sequence[str]) -> dict[str, Any]:
    """``id`` → row of ``lease_token``, ``attempt_count``, ``max_attempts`` of the deliveries, locked for
    this transaction in id order (waiting for a concurrent change of one, such as a manual retry)."""
    if not delivery_ids:
        return {}
    d = WebhookDelivery
    rows = await session.execute(select(d.id, d.lease_token, d.attempt_count, d.max_attempts)
                                 .where(column_in(session, d.id, delivery_ids)).order_by(d.id).with_for_update())
    return {row.id: row for row in rows}


async def finish(session: AsyncSession, delivery_ids: Sequence[str], status: str, *, now: datetime) -> None:
    """One more attempt made of each delivery, and it is ``status`` (succeeded or failed) now."""
    if delivery_ids:
        await session.execute(update(WebhookDelivery).where(column_in(session, WebhookDelivery.id, delivery_ids))
                              .values(status=status, attempt_count=WebhookDelivery.attempt_count + 1,
                                      lease_token=None, next_attempt_at=None, completed_at=now, updated_at=now)
                              .execution_options(synchronize_session=False))


async def retry_later(session: AsyncSession, delivery_id: str, at: datetime, *, now: datetime) -> None:
    """One more attempt made of the delivery; the next is due ``at``."""
    await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                          .values(attempt_count=WebhookDelivery.attempt_count + 1, lease_token=None,
                                  next_attempt_at=at, updated_at=now)
                          .execution_options(synchronize_session=False))


async def add_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert attempt rows (``webhook_attempts`` columns) in one statement."""
    if rows:
        await session.execute(insert(WebhookAttempt), list(rows))


async def delivery(session: AsyncSession, principal: Principal, delivery_id: str) -> WebhookDelivery | None:
    """The caller's delivery ``delivery_id``, or None."""
    return (await session.execute(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.org_id == principal.org_id,
        WebhookDelivery.mode == principal.mode))).scalar_one_or_none()


async def deliveries_page(
    session: AsyncSession, principal: Principal, page: Page, *, endpoint_id: str | None = None,
    event_type: str | None = None, status: str | None = None, resource_id: str | None = None,
) -> tuple[list[WebhookDelivery], int]:
    """One page of the caller's deliveries, newest first, filtered, and the total matching."""
    cond = [WebhookDelivery.org_id == principal.org_id, WebhookDelivery.mode == principal.mode]
    for column, value in ((WebhookDelivery.endpoint_id, endpoint_id), (WebhookDelivery.event_type, event_type),
                          (WebhookDelivery.status, status), (WebhookDelivery.resource_id, resource_id)):
        if value is not None:
            cond.append(column == value)
    total = (await session.execute(select(func.count()).select_from(WebhookDelivery).where(*cond))).scalar_one()
    rows = (await session.execute(select(WebhookDelivery).where(*cond).order_by(
        WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(page.limit).offset(page.offset)))
    return list(rows.scalars().all()), total


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
    """The attempts of each delivery, oldest first."""
    out: dict[str, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    if delivery_ids:
        rows = await session.execute(select(WebhookAttempt).where(
            column_in(session, WebhookAttempt.delivery_id, delivery_ids)).order_by(WebhookAttempt.attempted_at))
        for attempt in rows.scalars().all():
            out[attempt.delivery_id].append(attempt)
    return out


async def abandon_pending(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """Mark the pending deliveries of a deleted endpoint ``failed``."""
    await session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING,
    ).values(status=DeliveryStatus.FAILED, next_attempt_at=None, lease_token=None, completed_at=now, updated_at=now))


async def prune(session: AsyncSession, *, before: datetime, limit: int = 1000) -> int:
    """Delete up to ``limit`` finished deliveries completed before ``before``, their attempts, and
    the outbox events none of whose deliveries are left; returns how many deliveries went."""
    ids = list((await session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.status != DeliveryStatus.PENDING, WebhookDelivery.completed_at < before,
    ).limit(limit))).scalars().all())
    if not ids:
        return 0
    event_ids = list((await session.execute(select(WebhookDelivery.event_id).where(
        column_in(session, WebhookDelivery.id, ids)).distinct())).scalars().all())
    await session.execute(delete(WebhookAttempt).where(column_in(session, WebhookAttempt.delivery_id, ids)))
    await session.execute(delete(WebhookDelivery).where(column_in(session, WebhookDelivery.id, ids)))
    remaining = select(WebhookDelivery.event_id).where(column_in(session, WebhookDelivery.event_id, event_ids))
    await session.execute(delete(WebhookEvent).where(
        column_in(session, WebhookEvent.id, event_ids), WebhookEvent.id.not_in(remaining)))
    return len(ids)


async def endpoint_succeeded(session: AsyncSession, endpoint_id: str) -> None:
    """An attempt to the endpoint succeeded: its run of failures (if any) is over."""
    await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None)).values(failing_since=None))


async def endpoint_failed(session: AsyncSession, endpoint_id: str, *, at: datetime, since: datetime,
                          reason: str) -> bool:
    """An attempt to the endpoint failed at ``at``: start its run of failures if none is running, and
    disable it with ``reason`` when the run began at or before ``since``. Returns whether it was
    disabled now."""
    await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None)).values(failing_since=at))
    result = await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True), WebhookEndpoint.failing_since <= since,
    ).values(enabled=False, disabled_reason=reason, updated_at=at))
    return bool(getattr(result, "rowcount", 0))
