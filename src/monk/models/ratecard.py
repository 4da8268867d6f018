"""Dimensional rate cards (concepts §9): a rate per combination of a meter's group-key values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal, JSONType
from monk.models.base import Base, Tenant


class RateCard(Tenant, Base):
    """The rate card of one meter: ``entries`` ``[{"dimensions": {key: value}, "unit_amount": "2.00"}]``
    (decimal strings, exact; loaded by ``models.shapes.load_rate_entries``) and an optional
    ``fallback_rate`` for combinations without an entry."""

    __tablename__ = "rate_cards"
    __table_args__ = (UniqueConstraint("org_id", "mode", "meter_id", name="uq_rate_cards_meter"),)

    meter_id: Mapped[str] = mapped_column(ForeignKey("meters.id"))
    fallback_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
