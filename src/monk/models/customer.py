"""Customers (reference §3.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.models.base import Base, Tenant


class Customer(Tenant, Base):
    """A billed customer; ``external_customer_id`` is unique per organization and mode when set."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_org_mode_created", "org_id", "mode", "created_at"),
        Index(
            "uq_customers_external_id", "org_id", "mode", "external_customer_id", unique=True,
            sqlite_where=text("external_customer_id IS NOT NULL"),
            postgresql_where=text("external_customer_id IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(500))
    legal_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    external_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    external_company_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    payment_provider_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_method_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # read from Stripe when the method is set (a card's brand, a bank account's bank name) and its last 4
    payment_method_brand: Mapped[str | None] = mapped_column(String(50), nullable=True)
    payment_method_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
