"""All webhook queries: endpoints, the outbox, claiming due deliveries, the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
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


async def claim_due(session: AsyncSession, *, now: datetime, limit: int,
                    busy: Sequence[str]) -> list[WebhookDelivery]:
    """Up to ``limit`` pending deliveries due at ``now`` (``next_attempt_at`` ≤ now), oldest due first,
    of enabled endpoints not in ``busy``, locked for this transaction (``kit.db.claiming``)."""
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    query = select(WebhookDelivery).where(
        WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now,
        WebhookDelivery.endpoint_id.in_(enabled),
    )
    if busy:
        query = query.where(WebhookDelivery.endpoint_id.not_in(list(busy)))
    query = query.order_by(WebhookDelivery.next_attempt_at).limit(limit)
    return list((await session.execute(claiming(query))).scalars().all())


async def leased(session: AsyncSession, delivery_id: str, token: str) -> WebhookDelivery | None:
    """The delivery ``delivery_id`` if it is still claimed under ``token``, locked for this
    transaction (waiting for a concurrent change of it, such as a manual retry), else None."""
    return (await session.execute(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.lease_token == token,
    ).with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


async def endpoint_for_update(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint ``endpoint_id`` locked for this transaction, or None when it was deleted."""
    return (await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                                  .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


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
