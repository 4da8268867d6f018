"""Payments (concepts §18): an organization's Stripe connection per mode."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
    api_base: Mapped[str | None] = mapped_column(String(500), nullable=True)
