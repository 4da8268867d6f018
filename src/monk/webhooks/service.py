"""Webhook endpoint rules (create, change, rotate the secret, test, delete) and the delivery log's
manual retry. Never commits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.kit.notify import WEBHOOKS, announce
from monk.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from monk.models.statuses import DeliveryStatus
from monk.webhooks import repository
from monk.webhooks.catalogue import PING
from monk.webhooks.outbox import encode, write
from monk.webhooks.schemas import EndpointCreate, EndpointUpdate, delivery_out
from monk.webhooks.signature import new_secret
from monk.webhooks.urls import Resolver, UnsafeUrl

ROTATION_OVERLAP = timedelta(hours=24)


async def _checked(resolver: Resolver, url: str) -> str:
    try:
        await resolver.check(url)
    except UnsafeUrl as exc:
        raise ValidationFailed(f"url: {exc}", details=[{"field": "url", "message": str(exc)}]) from None
    return url


async def get(session: AsyncSession, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    """The caller's endpoint. Raises ``NotFound`` (404), also for another organization's or mode's."""
    endpoint = await repository.endpoint(session, principal, endpoint_id)
    if endpoint is None:
        raise NotFound(f"Webhook endpoint '{endpoint_id}' not found")
    return endpoint


async def create(session: AsyncSession, principal: Principal, body: EndpointCreate, *, resolver: Resolver,
                 now: datetime) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint with a new signing secret; returns it and the secret (shown once).
    Raises ``ValidationFailed`` (400) for a URL Monk will not send to (``webhooks.urls``)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, url=await _checked(resolver, body.url),
        description=body.description, event_types=body.event_types, enabled=body.enabled, secret=secret,
        created_at=now, updated_at=now)
    session.add(endpoint)
    return endpoint, secret


async def update(session: AsyncSession, principal: Principal, endpoint_id: str, body: EndpointUpdate, *,
                 resolver: Resolver, now: datetime) -> WebhookEndpoint:
    """Change the fields present in ``body``. Enabling clears ``disabledReason`` and the failure run;
    deliveries still pending resume. Raises ``NotFound`` (404), ``ValidationFailed`` (400)."""
    endpoint = await get(session, principal, endpoint_id)
    fields = body.model_fields_set
    if not fields:
        raise ValidationFailed("Provide at least one of url, eventTypes, description, enabled")
    if "url" in fields:
        if body.url is None:
            raise ValidationFailed("url: may not be null")
        endpoint.url = await _checked(resolver, body.url)
    if "event_types" in fields:
        if body.event_types is None:
            raise ValidationFailed("eventTypes: may not be null")
        endpoint.event_types = body.event_types
    if "description" in fields:
        endpoint.description = body.description
    if "enabled" in fields:
        if body.enabled is None:
            raise ValidationFailed("enabled: may not be null")
        if body.enabled and not endpoint.enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
        endpoint.enabled = body.enabled
    endpoint.updated_at = now
    return endpoint


async def delete(session: AsyncSession, principal: Principal, endpoint_id: str, *, now: datetime) -> None:
    """Delete an endpoint; its pending deliveries are marked ``failed`` (the log keeps them until
    the retention ends). Raises ``NotFound`` (404)."""
    endpoint = await get(session, principal, endpoint_id)
    await repository.abandon_pending(session, endpoint.id, now)
    await session.delete(endpoint)


async def rotate_secret(session: AsyncSession, principal: Principal, endpoint_id: str, *,
                        now: datetime) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new signing secret (returned, shown once). For 24 hours deliveries carry a
    ``v1`` signature for the new and for the previous secret. Raises ``NotFound`` (404)."""
    endpoint = await get(session, principal, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.updated_at = now
    return endpoint, secret


async def send_test(session: AsyncSession, principal: Principal, endpoint_id: str, *,
                    now: datetime) -> tuple[WebhookDelivery, WebhookEvent]:
    """Queue a signed ``ping`` delivery to the endpoint (one attempt, sent at once by the dispatcher);
    returns it. Raises ``NotFound`` (404), ``Conflict`` (409) when the endpoint is disabled."""
    endpoint = await get(session, principal, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it before sending a test")
    event_id = new_id()
    body = encode({"id": event_id, "type": PING, "endpointId": endpoint.id,
                   "createdAt": iso_ms(now), "updatedAt": iso_ms(now)})
    event, deliveries = await write(session, [endpoint], max_attempts=1, event=WebhookEvent(
        id=event_id, org_id=endpoint.org_id, mode=endpoint.mode, type=PING, resource_id=endpoint.id, body=body,
        created_at=now))
    return deliveries[0], event


async def retry(session: AsyncSession, principal: Principal, delivery_id: str, *, now: datetime) -> WebhookDelivery:
    """Send the delivery again now, with the same delivery id: one more attempt beyond those made
    (a pending delivery waiting for its backoff is simply due at once). Raises ``NotFound`` (404),
    ``Conflict`` (409) when an attempt is being sent right now or the endpoint is gone or disabled."""
    found = await delivery(session, principal, delivery_id)
    endpoint = await repository.endpoint(session, principal, found.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        raise Conflict("The delivery's endpoint is deleted or disabled")
    if found.lease_token is not None and found.next_attempt_at is not None and found.next_attempt_at > now:
        raise Conflict("An attempt of this delivery is being sent right now")
    found.status = DeliveryStatus.PENDING
    found.max_attempts = max(found.max_attempts, found.attempt_count + 1)
    found.next_attempt_at = now
    found.completed_at = None
    found.updated_at = now
    await announce(session, WEBHOOKS)
    return found


async def delivery(session: AsyncSession, principal: Principal, delivery_id: str) -> WebhookDelivery:
    """The caller's delivery. Raises ``NotFound`` (404)."""
    found = await repository.delivery(session, principal, delivery_id)
    if found is None:
        raise NotFound(f"Webhook delivery '{delivery_id}' not found")
    return found


def parse(body: str) -> Any:
    """An outbox body as JSON."""
    return json.loads(body)


async def shown(session: AsyncSession, deliveries: list[WebhookDelivery]) -> list[dict[str, Any]]:
    """The API shape of ``deliveries``, with their payloads and attempts."""
    bodies = await repository.bodies(session, [d.event_id for d in deliveries])
    attempts = await repository.attempts_of(session, [d.id for d in deliveries])
    return [delivery_out(d, parse(bodies[d.event_id]) if d.event_id in bodies else None, attempts[d.id])
            for d in deliveries]

