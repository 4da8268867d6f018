"""Webhook endpoint request bodies and the endpoint, delivery and attempt shapes (an extension in
the reference's style: §13 keeps endpoints in the dashboard)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, Instant, ResponseModel
from monk.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from monk.models.statuses import DeliveryStatus
from monk.webhooks.catalogue import ALL, EVENT_TYPES
from monk.webhooks.urls import MAX_URL_LENGTH

EventType = Annotated[str, Field(min_length=1, max_length=40)]


def _event_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [t for t in value if t != ALL and t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type '{unknown[0]}'; one of {', '.join(EVENT_TYPES)}, or '*'")
    if ALL in value and len(value) > 1:
        raise ValueError("'*' subscribes to every event type and stands alone")
    return list(dict.fromkeys(value))  # duplicates dropped, order kept


class EndpointCreate(CamelModel):
    """``POST /v1/webhooks/endpoints``: where to send, and which events (``["*"]`` = all, also types
    added later)."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str | None = Field(None, max_length=500)
    enabled: bool = True

    _types = field_validator("event_types")(_event_types)


class EndpointUpdate(CamelModel):
    """``PATCH /v1/webhooks/endpoints/{id}``: the fields present are changed. Enabling an endpoint
    Monk disabled clears its ``disabledReason``."""

    url: str | None = Field(None, min_length=1, max_length=MAX_URL_LENGTH)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=len(EVENT_TYPES))
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None

    _types = field_validator("event_types")(_event_types)


class Endpoint(ResponseModel):
    """A webhook endpoint. ``secret`` only in the answers that create it or rotate it (shown once)."""

    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why Monk disabled the endpoint (all deliveries failing)")
    secret: str | None = Field(None, description="The signing secret (whsec_…): only when created or rotated")
    previous_secret_expires_at: Instant | None = Field(
        description="Until then deliveries also carry a v1 signature made with the previous secret")
    created_at: Instant
    updated_at: Instant


class Attempt(ResponseModel):
    """One HTTP attempt of a delivery."""

    attempted_at: Instant
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None = Field(description="The first 2 KB of the response body")


class Delivery(ResponseModel):
    """One event sent to one endpoint; ``id`` is its ``X-Monk-Delivery-Id`` (the same on every attempt)."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    resource_id: str | None
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: Instant | None
    payload: Any = Field(description="The JSON body sent")
    attempts: list[Attempt]
    created_at: Instant
    updated_at: Instant


def _at(value: Any) -> str | None:
    return iso_ms(value) if value is not None else None


def endpoint_out(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    """The API shape of an endpoint; ``secret`` only when given (creation, rotation)."""
    out: dict[str, Any] = {
        "id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
        "eventTypes": list(endpoint.event_types), "enabled": endpoint.enabled,
        "disabledReason": endpoint.disabled_reason,
        "previousSecretExpiresAt": _at(endpoint.previous_secret_expires_at),
        "createdAt": iso_ms(endpoint.created_at), "updatedAt": iso_ms(endpoint.updated_at),
    }
    if secret is not None:
        out["secret"] = secret
    return out


def attempt_out(attempt: WebhookAttempt) -> dict[str, Any]:
    """The API shape of an attempt."""
    return {"attemptedAt": iso_ms(attempt.attempted_at), "durationMs": attempt.duration_ms,
            "statusCode": attempt.status_code, "error": attempt.error, "responseBody": attempt.response_body}


def delivery_out(delivery: WebhookDelivery, payload: Any, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    """The API shape of a delivery with its parsed ``payload`` and its attempts, oldest first."""
    return {
        "id": delivery.id, "endpointId": delivery.endpoint_id, "eventId": delivery.event_id,
        "eventType": delivery.event_type, "resourceId": delivery.resource_id, "status": delivery.status,
        "attemptCount": delivery.attempt_count, "nextAttemptAt": _at(delivery.next_attempt_at),
        "payload": payload, "attempts": [attempt_out(a) for a in attempts],
        "createdAt": iso_ms(delivery.created_at), "updatedAt": iso_ms(delivery.updated_at),
    }
