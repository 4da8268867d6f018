"""Credit budgets (reference §11): per-dimension caps carved out of a contract's shared credit pool."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal
from monk.models.base import Base, Tenant


class CreditBudget(Tenant, Base):
    """One budget of a contract: usage whose event has ``properties[event_property_key] ==
    event_property_value`` (on meter ``meter_id`` only, when set) may draw at most ``cap`` from the
    wallet per billing period. ``position`` is the budget's API ``index`` (0-based; deleting a budget
    shifts the later ones down one). ``cap`` is in the wallet's unit (credits for a credit wallet,
    cents for a dollar wallet); None means no cap (consumption is tracked only).
    ``exhausted_period_start`` is the start of the usage period in which ``credit.budget.exhausted``
    was last sent (None: not sent since the cap was last set)."""

    __tablename__ = "credit_budgets"
    __table_args__ = (
        UniqueConstraint("contract_id", "event_property_key", "event_property_value",
                         name="uq_credit_budgets_property"),
        Index("ix_credit_budgets_contract", "contract_id", "position"),
    )

    contract_id: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(255))
    event_property_key: Mapped[str] = mapped_column(String(255))
    event_property_value: Mapped[str] = mapped_column(String(255))
    meter_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    cap: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    exhausted_period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
