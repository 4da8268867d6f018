"""Products and pricing configurations (reference §3.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal, JSONType
from monk.models.base import Base, Tenant


class Product(Tenant, Base):
    """A product groups pricing configurations."""

    __tablename__ = "products"

    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class Pricing(Tenant, Base):
    """A pricing configuration: FLAT fee, or USAGE/TIER on a meter; amounts are exact dollars.

    ``tiers`` holds ``[{"min_qty", "max_qty", "unit_amount", "flat_amount"}]`` as decimal strings
    (loaded by ``models.shapes.load_tiers``).
    """

    __tablename__ = "pricing"
    __table_args__ = (
        Index("ix_pricing_org_mode_created", "org_id", "mode", "created_at"),
        Index("uq_pricing_code", "org_id", "mode", "code", unique=True),
    )

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(10))
    billing_mode: Mapped[str] = mapped_column(String(10))
    tiering: Mapped[str] = mapped_column(String(10), default="NONE")
    unit_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    flat_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    minimum_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    price_interval: Mapped[str | None] = mapped_column(String(10), nullable=True)
    price_interval_count: Mapped[int] = mapped_column(Integer, default=1)
    meter_id: Mapped[str | None] = mapped_column(ForeignKey("meters.id"), nullable=True, index=True)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
