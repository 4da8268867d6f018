"""HTTP endpoints for webhook endpoints and the delivery log (an extension in the reference's style;
§13 keeps them in the dashboard). Scopes ``webhooks:read`` / ``webhooks:write`` (``*`` covers both)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, Success, envelope
from monk.kit.schemas import page as listing
from monk.models.statuses import DeliveryStatus
from monk.webhooks import repository, service
from monk.webhooks.schemas import Delivery, Endpoint, EndpointCreate, EndpointUpdate, delivery_out, endpoint_out
from monk.webhooks.urls import Resolver

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
WebhooksWrite = Annotated[Principal, Depends(require("webhooks:write"))]
WebhooksRead = Annotated[Principal, Depends(require("webhooks:read"))]


def _resolver(settings: deps.Settings) -> Resolver:
    return Resolver(allow_private=settings.webhook_allow_private_networks)


UrlCheck = Annotated[Resolver, Depends(_resolver)]


@router.post("/endpoints", status_code=201, **typed(Data[Endpoint]))
async def create_endpoint(session: deps.Session, body: EndpointCreate, principal: WebhooksWrite,
                          clock: deps.Clock, resolver: UrlCheck) -> dict[str, Any]:
    """Create an endpoint → 201 ``{"data": Endpoint}`` with its signing ``secret`` (``whsec_…``), shown
    this once. 400: a URL that is not ``https://`` (``http://`` only to localhost/127.0.0.1), that
    does not resolve, or that resolves to a private or link-local network; an unknown event type."""
    endpoint, secret = await service.create(session, principal, body, resolver=resolver, now=clock.now())
    return envelope(endpoint_out(endpoint, secret=secret))


@router.get("/endpoints", **typed(Listing[Endpoint]))
async def list_endpoints(session: deps.Session, page: deps.Page, principal: WebhooksRead) -> dict[str, Any]:
    """List endpoints, oldest first → ``{"data": [...], "hasMore", "total"}`` (no secrets)."""
    rows, total = await repository.endpoints_page(session, principal, page)
    return listing([endpoint_out(e) for e in rows], total=total, offset=page.offset)


@router.get("/endpoints/{endpoint_id}", **typed(Data[Endpoint], 404))
async def get_endpoint(session: deps.Session, endpoint_id: str, principal: WebhooksRead) -> dict[str, Any]:
    """Get one endpoint → ``{"data": Endpoint}`` (no secret); 404 when unknown in this organization and mode."""
    return envelope(endpoint_out(await service.get(session, principal, endpoint_id)))


@router.patch("/endpoints/{endpoint_id}", **typed(Data[Endpoint], 404))
async def update_endpoint(session: deps.Session, endpoint_id: str, body: EndpointUpdate, principal: WebhooksWrite,
                          clock: deps.Clock, resolver: UrlCheck) -> dict[str, Any]:
    """Change ``url``, ``eventTypes``, ``description`` or ``enabled`` → ``{"data": Endpoint}``; enabling
    an endpoint Monk disabled clears ``disabledReason`` and resumes its pending deliveries. 400, 404."""
    endpoint = await service.update(session, principal, endpoint_id, body, resolver=resolver, now=clock.now())
    return envelope(endpoint_out(endpoint))


@router.delete("/endpoints/{endpoint_id}", **typed(Data[Success], 404))
async def delete_endpoint(session: deps.Session, endpoint_id: str, principal: WebhooksWrite,
                          clock: deps.Clock) -> dict[str, Any]:
    """Delete an endpoint → ``{"data": {"success": true}}``; its pending deliveries become ``failed``. 404."""
    await service.delete(session, principal, endpoint_id, now=clock.now())
    return envelope({"success": True})


@router.post("/endpoints/{endpoint_id}/rotate-secret", **typed(Data[Endpoint], 404))
async def rotate_secret(session: deps.Session, endpoint_id: str, principal: WebhooksWrite,
                        clock: deps.Clock) -> dict[str, Any]:
    """Give the endpoint a new signing secret → ``{"data": Endpoint}`` with the new ``secret`` (shown
    once). Until ``previousSecretExpiresAt`` (24 hours) every delivery carries a ``v1=`` signature
    for each secret, so receivers can switch at their pace. 404."""
    endpoint, secret = await service.rotate_secret(session, principal, endpoint_id, now=clock.now())
    return envelope(endpoint_out(endpoint, secret=secret))


@router.post("/endpoints/{endpoint_id}/test", status_code=202, **typed(Data[Delivery], 404, 409))
async def test_endpoint(session: deps.Session, endpoint_id: str, principal: WebhooksWrite,
                        clock: deps.Clock) -> dict[str, Any]:
    """Queue a signed test delivery (``X-Monk-Event: ping``, one attempt, sent at once) → 202
    ``{"data": Delivery}``; follow it with ``GET /v1/webhooks/deliveries/{id}``. 404; 409 disabled."""
    delivery, event = await service.send_test(session, principal, endpoint_id, now=clock.now())
    return envelope(delivery_out(delivery, service.parse(event.body), []))


@router.get("/deliveries", **typed(Listing[Delivery]))
async def list_deliveries(
    session: deps.Session, page: deps.Page, principal: WebhooksRead,
    endpoint_id: str | None = Query(None, alias="endpointId", max_length=36),
    event_type: str | None = Query(None, alias="eventType", max_length=40),
    status: DeliveryStatus | None = Query(None),
    resource_id: str | None = Query(None, alias="resourceId", max_length=36),
) -> dict[str, Any]:
    """The delivery log, newest first → ``{"data": [...], "hasMore", "total"}``, filtered by endpoint,
    event type, status, resource id. Each delivery lists its attempts (time, duration, status code
    or error, the first 2 KB of the response). Kept for ``MONK_WEBHOOK_RETENTION_DAYS`` (30)."""
    rows, total = await repository.deliveries_page(session, principal, page, endpoint_id=endpoint_id,
                                                   event_type=event_type, status=status, resource_id=resource_id)
    return listing(await service.shown(session, rows), total=total, offset=page.offset)


@router.get("/deliveries/{delivery_id}", **typed(Data[Delivery], 404))
async def get_delivery(session: deps.Session, delivery_id: str, principal: WebhooksRead) -> dict[str, Any]:
    """One delivery with its attempts → ``{"data": Delivery}``; 404."""
    return envelope((await service.shown(session, [await service.delivery(session, principal, delivery_id)]))[0])


@router.post("/deliveries/{delivery_id}/retry", status_code=202, **typed(Data[Delivery], 404, 409))
async def retry_delivery(session: deps.Session, delivery_id: str, principal: WebhooksWrite,
                         clock: deps.Clock) -> dict[str, Any]:
    """Send the delivery again now, with the same delivery id (one more attempt) → 202
    ``{"data": Delivery}``. 404; 409 when an attempt is in flight or the endpoint is deleted or disabled."""
    delivery = await service.retry(session, principal, delivery_id, now=clock.now())
    return envelope((await service.shown(session, [delivery]))[0])
