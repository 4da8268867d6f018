"""Plans: a reusable bundle of pricing with a billing frequency and defaults for contracts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monk.models.base import Base, Tenant
from monk.models.statuses import CollectionMethod, PlanStatus


class Plan(Tenant, Base):
    """A plan; ``plan_code`` is unique per organization and mode."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("org_id", "mode", "plan_code", name="uq_plans_code"),)

    name: Mapped[str] = mapped_column(String(500))
    plan_code: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    billing_frequency: Mapped[str] = mapped_column(String(20))
    net_terms: Mapped[int] = mapped_column(Integer, default=0)
    # the auto-pay default of its contracts; always true when collection_method is auto_charge
    auto_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    collection_method: Mapped[str] = mapped_column(String(30), default=CollectionMethod.INVOICE_AND_COLLECT,
                                                   server_default=CollectionMethod.INVOICE_AND_COLLECT.value)
    credit_grant_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=PlanStatus.ACTIVE)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class PlanPricing(Base):
    """The pricing a plan bundles, in order."""

    __tablename__ = "plan_pricing"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    pricing_id: Mapped[str] = mapped_column(ForeignKey("pricing.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
