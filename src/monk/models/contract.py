"""Contracts: one customer subscribed to one plan (reference §3.2, §9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.models.base import Base, Tenant


class Contract(Tenant, Base):
    """A contract. ``end_date`` is exclusive (the first day no longer covered); None = rolling."""

    __tablename__ = "contracts"
    __table_args__ = (
        Index("ix_contracts_org_mode_created", "org_id", "mode", "created_at"),
        Index("ix_contracts_customer", "customer_id", "is_active"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    name: Mapped[str] = mapped_column(String(500))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    billing_cycle_anchor: Mapped[date] = mapped_column(Date)
    billing_frequency: Mapped[str] = mapped_column(String(20))
    net_terms: Mapped[int] = mapped_column(Integer, default=0)
    # credit_grant_cents and credit_settings are stored but read by nothing yet: the credits work
    # (prepaid grants, credit rate, depletion) reads them. credit_settings is stored snake_case
    # (``models.shapes.load_credit_settings``).
    credit_grant_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    credit_settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # [{"base_pricing_id", "unit_amount", "dimensions"?}] (``models.shapes.load_overrides``)
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Auto-pay (concepts §18): charge this contract's invoices automatically; defaults to the plan's autoPay.
    auto_pay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The contract's own saved payment method (set by the payment page); it wins over the customer's
    # default when auto-pay charges. All four are set or cleared together (``contracts.service``).
    payment_method_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_method_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    payment_method_brand: Mapped[str | None] = mapped_column(String(50), nullable=True)
    payment_method_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by an immediate cancellation: usage at or after this instant is not billed.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
