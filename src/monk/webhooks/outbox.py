"""The transactional outbox: an event is written in the transaction of the change that causes it,
with one delivery per subscribed endpoint. A rolled-back change sends nothing; a committed one is
delivered at least once (the dispatcher, ``webhooks.dispatch``). Domains call ``emit``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.ids import new_id
from monk.kit.notify import WEBHOOKS, announce
from monk.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from monk.models.statuses import DeliveryStatus
from monk.webhooks import repository
from monk.webhooks.catalogue import MAX_ATTEMPTS, subscribed


def encode(payload: dict[str, Any]) -> str:
    """The exact JSON text sent (and signed): compact, UTF-8, keys in the payload's order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def emit(session: AsyncSession, *, org_id: str, mode: str, event_type: str, resource_id: str | None,
               payload: dict[str, Any], now: datetime) -> WebhookEvent | None:
    """Write ``payload`` (the resource as the API returns it, with ``id``, ``createdAt``,
    ``updatedAt``) as an ``event_type`` event of ``org_id``/``mode``, and a delivery to each enabled
    endpoint subscribed to it, due at once. Nothing is written when no endpoint subscribes.
    Never commits; the dispatcher is woken after the commit (``kit.notify``)."""
    found = await repository.subscribers(session, org_id, mode)
    endpoints = [e for e in found if subscribed(e.event_types, event_type)]
    if not endpoints:
        return None
    event, _ = await write(session, endpoints, event=WebhookEvent(
        id=new_id(), org_id=org_id, mode=mode, type=event_type, resource_id=resource_id, body=encode(payload),
        created_at=now))
    return event


async def write(session: AsyncSession, endpoints: list[WebhookEndpoint], *, event: WebhookEvent,
                max_attempts: int = MAX_ATTEMPTS) -> tuple[WebhookEvent, list[WebhookDelivery]]:
    """Add ``event`` and one delivery of it to each of ``endpoints``, due at its ``created_at``;
    returns both. The dispatcher is woken after the commit."""
    session.add(event)
    deliveries = [WebhookDelivery(
        id=new_id(), org_id=event.org_id, mode=event.mode, endpoint_id=endpoint.id, event_id=event.id,
        event_type=event.type, resource_id=event.resource_id, status=DeliveryStatus.PENDING, attempt_count=0,
        max_attempts=max_attempts, next_attempt_at=event.created_at, created_at=event.created_at,
        updated_at=event.created_at) for endpoint in endpoints]
    session.add_all(deliveries)
    await announce(session, WEBHOOKS)
    return event, deliveries
