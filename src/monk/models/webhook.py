"""Outbound webhooks (reference §13): endpoints, the outbox of events, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.models.base import Base, Tenant


class WebhookEndpoint(Tenant, Base):
    """A receiver URL of one organization and mode, the event types it subscribes to (``["*"]`` = all)
    and its signing secret. During a rotation the previous secret still signs until
    ``previous_secret_expires_at``. ``failing_since`` is when the current run of failed attempts
    began (None after a success); ``disabled_reason`` says why Monk disabled it."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org_mode_created", "org_id", "mode", "created_at"),)

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebhookEvent(Base):
    """The outbox: one row per event, written in the transaction of the change that caused it.
    ``body`` is the exact JSON text sent (and signed) to every subscribed endpoint."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Tenant, Base):
    """One event to one endpoint. ``id`` is the ``X-Monk-Delivery-Id`` (the same for every attempt).
    A worker claims a due delivery by setting ``lease_until`` (and a fresh ``lease_token``) in a
    committed transaction before sending; the result is recorded only under that token, so two
    workers never send one attempt at once, and a worker that died lets its lease expire."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_org_mode_created", "org_id", "mode", "created_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    endpoint_id: Mapped[str] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(10))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(36), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: when, how long (ms), the status code or the error, and the
    first 2 KB of the response body."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
