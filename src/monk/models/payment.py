"""Payments (concepts §18): an organization's Stripe connection per mode, payment attempts and the
Stripe events already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import UTCDateTime
from monk.models.base import Base, Tenant


class StripeConnection(Tenant, Base):
    """The Stripe account an organization's ``mode`` (test keys for test, live keys for live) charges
    through. Both secrets are sealed with ``MONK_SECRET_KEY`` (``kit.secrets``), never stored or
    returned in clear; ``key_last4`` identifies the key in the API. ``api_base`` points the SDK at
    a Stripe-compatible server (None: Stripe)."""

    __tablename__ = "stripe_connections"
    __table_args__ = (UniqueConstraint("org_id", "mode", name="uq_stripe_connections_org_mode"),)

    secret_key_sealed: Mapped[str] = mapped_column(String(1000))
    webhook_secret_sealed: Mapped[str] = mapped_column(String(1000))
    key_last4: Mapped[str] = mapped_column(String(4))
    publishable_key: Mapped[str | None] = mapped_column(String(255), nullable=True)  # pk_…: the payment page
    api_base: Mapped[str | None] = mapped_column(String(500), nullable=True)


class PaymentAttempt(Tenant, Base):
    """One try to collect an invoice through Stripe (concepts §18), committed before Stripe is called.

    ``status``: ``pending`` (committed; Stripe not called yet, or its answer not recorded: a crash or an
    outage), ``processing`` (Stripe is settling it, ACH), ``succeeded``, ``failed`` (``decline_code`` and
    ``failure_message`` say why), ``refunded``. At most one live (pending/processing) attempt per invoice,
    held by a unique partial index, so racing runs cannot both charge it. ``lease_until``: the process
    calling Stripe for a pending attempt holds it until then; after it, a reconciler looks the
    PaymentIntent up by the attempt id in its metadata before charging again with the same idempotency key.
    ``kind``: ``auto_pay`` (the daily run, off-session) or ``page`` (the payment page)."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        Index("uq_payment_attempts_live_invoice", "invoice_id", unique=True,
              sqlite_where=text("status IN ('pending', 'processing')"),
              postgresql_where=text("status IN ('pending', 'processing')")),
        Index("ix_payment_attempts_invoice", "invoice_id", "created_at"),
        Index("ix_payment_attempts_intent", "payment_intent_id"),
        Index("ix_payment_attempts_pending", "status", "lease_until"),
    )

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    contract_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    save_method: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refund_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class StripeEvent(Base):
    """A Stripe webhook event already handled for an organization and mode: a redelivery of the same
    ``event_id`` changes nothing."""

    __tablename__ = "stripe_events"
    __table_args__ = (UniqueConstraint("org_id", "mode", "event_id", name="uq_stripe_events_org_mode_event"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(4))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
